import MQTT
import NIOCore

/// Encodes each outgoing packet into a buffer of its own. NIO's `MessageToByteHandler` keeps an
/// output buffer per connection from the moment it is added (256 bytes and up, for good); idle
/// connections, most of what the hub holds, would carry it for nothing.
final class MQTTPacketWriter: ChannelOutboundHandler {
    typealias OutboundIn = MQTTPacket
    typealias OutboundOut = ByteBuffer

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let packet = unwrapOutboundIn(data)
        var buffer = context.channel.allocator.buffer(capacity: Self.capacityHint(packet))
        do {
            try packet.encode(into: &buffer)
        } catch {
            promise?.fail(error)
            context.fireErrorCaught(error)
            return
        }
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    /// Room for the whole packet where its size is known up front, so encoding does not grow it.
    private static func capacityHint(_ packet: MQTTPacket) -> Int {
        if case .publish(let publish) = packet {
            return publish.topic.utf8.count + publish.payload.readableBytes + 16
        }
        return 32
    }
}

@available(*, unavailable)
extension MQTTPacketWriter: Sendable {}
