import MQTT
import NIOCore
import NIOPosix
import NIOSSL

/// One MQTT connection of a hub client, as a `NIOAsyncChannel`: packets in as an async sequence,
/// packets out through its writer (with the channel's backpressure). ``run(_:)`` scopes both:
/// the connection is closed when the body returns.
struct MQTTClientConnection: Sendable {
    private let channel: NIOAsyncChannel<MQTTPacket, MQTTPacket>

    /// Opens TCP (and TLS when `tls` is given) to `host:port` with the MQTT codec installed.
    static func connect(
        host: String,
        port: Int,
        tls: NIOSSLContext?,
        serverHostname: String?,
        connectTimeout: TimeAmount = .seconds(10)
    ) async throws -> MQTTClientConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                    }
                    try pipeline.addHandler(ByteToMessageHandler(MQTTPacketDecoder(maxPacketSize: 1 << 20)))
                    try pipeline.addHandler(MessageToByteHandler(MQTTPacketEncoder()))
                    return try NIOAsyncChannel<MQTTPacket, MQTTPacket>(wrappingChannelSynchronously: channel)
                }
            }
        return MQTTClientConnection(channel: channel)
    }

    /// Runs `body` with the packets that arrive and the transport to send with, then closes the
    /// connection (if it is not closed already).
    func run<Result>(
        isolation actor: isolated (any Actor)? = #isolation,
        _ body: (_ inbound: NIOAsyncChannelInboundStream<MQTTPacket>, _ transport: MQTTClientTransport) async throws -> sending Result
    ) async throws -> sending Result {
        let underlying = channel.channel
        return try await channel.executeThenClose { inbound, outbound in
            try await body(inbound, MQTTClientTransport(writer: outbound, channel: underlying))
        }
    }
}

/// The sending side of one MQTT connection, handed to whatever sends on it.
struct MQTTClientTransport: Sendable {
    fileprivate let writer: NIOAsyncChannelOutboundWriter<MQTTPacket>
    fileprivate let channel: any Channel

    /// Writes a packet, waiting while the connection is not writable; a packet for a connection
    /// that has closed is dropped (its waiters fail with the connection).
    func send(_ packet: MQTTPacket) async {
        try? await writer.write(packet)
    }

    /// Closes the connection now; the inbound sequence then ends.
    func close() {
        channel.close(promise: nil)
    }

    /// Waits until the connection has closed.
    func closed() async {
        try? await channel.closeFuture.get()
    }
}
