import MQTT
import NIOCore
import NIOPosix
import NIOSSL

/// One MQTT connection of a hub client: the NIO channel and the stream of what arrives on it.
struct MQTTClientTransport: Sendable {
    enum Event: Sendable {
        case packet(MQTTPacket)
        case closed((any Error)?)
    }

    let channel: any Channel
    let events: AsyncStream<Event>

    /// Opens TCP (and TLS when `tls` is given) to `host:port` with the MQTT codec installed.
    static func connect(
        host: String,
        port: Int,
        tls: NIOSSLContext?,
        serverHostname: String?,
        connectTimeout: TimeAmount = .seconds(10)
    ) async throws -> MQTTClientTransport {
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        if let tls {
                            try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                        }
                        try pipeline.addHandler(ByteToMessageHandler(MQTTPacketDecoder(maxPacketSize: 1 << 20)))
                        try pipeline.addHandler(MessageToByteHandler(MQTTPacketEncoder()))
                        try pipeline.addHandler(MQTTClientInboundHandler(continuation: continuation))
                    }
                }
                .connect(host: host, port: port)
                .get()
            return MQTTClientTransport(channel: channel, events: events)
        } catch {
            continuation.finish()
            throw error
        }
    }

    /// Writes a packet without waiting for it to reach the socket.
    func send(_ packet: MQTTPacket) {
        channel.writeAndFlush(packet, promise: nil)
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// Forwards decoded packets and the end of the connection to an `AsyncStream`.
final class MQTTClientInboundHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket

    private let continuation: AsyncStream<MQTTClientTransport.Event>.Continuation
    private var error: (any Error)?

    init(continuation: AsyncStream<MQTTClientTransport.Event>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        continuation.yield(.packet(unwrapInboundIn(data)))
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.yield(.closed(error))
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.error = self.error ?? error
        context.close(promise: nil)
    }
}
