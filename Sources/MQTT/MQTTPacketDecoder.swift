public import NIOCore

/// SwiftNIO decoder from bytes to ``MQTTPacket`` with a bound on the packet size.
///
/// Use it wrapped in `ByteToMessageHandler`. A malformed or oversized packet makes the decoder
/// throw, which fires `errorCaught`; the owner is expected to close the connection.
public struct MQTTPacketDecoder: ByteToMessageDecoder {
    public typealias InboundOut = MQTTPacket

    /// Largest accepted packet, header included.
    public let maxPacketSize: Int

    public init(maxPacketSize: Int = 256 * 1024 + 4096) {
        self.maxPacketSize = maxPacketSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let packet = try MQTTPacket.decode(from: &buffer, maxPacketSize: maxPacketSize) else {
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(packet))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // Bytes of an incomplete packet left at EOF are dropped: the peer went away mid-packet.
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.clear()
        return .needMoreData
    }
}

/// SwiftNIO encoder from ``MQTTPacket`` to bytes.
public struct MQTTPacketEncoder: MessageToByteEncoder {
    public typealias OutboundIn = MQTTPacket

    public init() {}

    public func encode(data: MQTTPacket, out: inout ByteBuffer) throws {
        try data.encode(into: &out)
    }
}
