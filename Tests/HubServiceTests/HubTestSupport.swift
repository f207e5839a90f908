import Foundation
import HubService
import IoTHub
import Logging
import MQTT
import NIOCore
import NIOPosix
import Synchronization
import TestSupport

/// Runs `body` against a fresh hub (ephemeral ports and data directory) and always shuts it down.
func withHub<T>(
    _ configure: (inout HubConfiguration) -> Void = { _ in },
    _ body: (RunningHubServer) async throws -> T
) async throws -> T {
    var logger = Logger(label: "hub-test")
    logger.logLevel = .error
    var configuration = HubConfiguration.ephemeral(logger: logger)
    configure(&configuration)
    defer { try? FileManager.default.removeItem(at: configuration.dataDirectory) }
    return try await HubServer.withRunning(configuration, body)
}

extension RunningHubServer {
    /// A service SAS token of the hub's policy, expiring in an hour or at `expiry` (seconds since 1970).
    func serviceToken(expiry: Int64? = nil) throws -> String {
        let service = serviceConnectionString
        let expiresOn = expiry.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? Date() + 3600
        return try SharedAccessSignature.make(
            resourceURI: service.hostName, key: service.sharedAccessKey, keyName: service.sharedAccessKeyName, expiresOn: expiresOn
        ).token
    }
}

/// A bare MQTT connection to the hub's plain listener, for sending exactly the bytes a test wants.
final class RawMQTTClient: Sendable {
    let channel: any Channel
    private let mailbox: Mailbox

    private init(channel: any Channel, mailbox: Mailbox) {
        self.channel = channel
        self.mailbox = mailbox
    }

    static func connect(port: Int) async throws -> RawMQTTClient {
        let mailbox = Mailbox()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(MQTTPacketDecoder(maxPacketSize: 1 << 20)))
                    try channel.pipeline.syncOperations.addHandler(CollectHandler(mailbox: mailbox))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return RawMQTTClient(channel: channel, mailbox: mailbox)
    }

    func send(_ packet: MQTTPacket) throws {
        var buffer = ByteBuffer()
        try packet.encode(into: &buffer)
        channel.writeAndFlush(buffer, promise: nil)
    }

    func sendBytes(_ bytes: [UInt8]) {
        channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
    }

    /// The next packet from the hub, or `nil` when the connection closed or nothing came in time.
    func nextPacket(within timeout: Duration = .seconds(5)) async -> MQTTPacket? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let packet = mailbox.take() { return packet }
            if mailbox.isClosed { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    func waitUntilClosed(within timeout: Duration = .seconds(5)) async -> Bool {
        await eventually(timeout: timeout) { mailbox.isClosed }
    }

    var isClosed: Bool { mailbox.isClosed }

    func close() async {
        try? await channel.close()
    }

    /// CONNECT as the identity of `connectionString`, signing with `key` (default: its own), valid for `lifetime`.
    static func connectPacket(
        _ connectionString: IoTHubConnectionString, key: String? = nil, lifetime: TimeInterval = 3600,
        cleanSession: Bool = false, keepAlive: UInt16 = 60
    ) throws -> MQTTPacket {
        let token = try SharedAccessSignature.make(
            resourceURI: connectionString.resourceURI, key: key ?? connectionString.sharedAccessKey,
            expiresOn: Date() + lifetime
        )
        let clientId = [connectionString.deviceId, connectionString.moduleId].compactMap { $0 }.joined(separator: "/")
        return .connect(MQTTConnect(
            clientId: clientId, keepAliveSeconds: keepAlive, cleanSession: cleanSession,
            username: "\(connectionString.hostName)/\(clientId)/?api-version=2021-04-12",
            password: Array(token.token.utf8)
        ))
    }

    /// Connects and returns the CONNACK (nil if the hub closed without one).
    func handshake(_ connectionString: IoTHubConnectionString, key: String? = nil, lifetime: TimeInterval = 3600, cleanSession: Bool = false) async throws -> MQTTConnAck? {
        try send(Self.connectPacket(connectionString, key: key, lifetime: lifetime, cleanSession: cleanSession))
        guard case .connack(let ack)? = await nextPacket() else { return nil }
        return ack
    }
}

final class Mailbox: Sendable {
    private let state = Mutex<(packets: [MQTTPacket], closed: Bool)>(([], false))
    func append(_ packet: MQTTPacket) { state.withLock { $0.packets.append(packet) } }
    func take() -> MQTTPacket? { state.withLock { $0.packets.isEmpty ? nil : $0.packets.removeFirst() } }
    func markClosed() { state.withLock { $0.closed = true } }
    var isClosed: Bool { state.withLock { $0.closed && $0.packets.isEmpty } }
}

final class CollectHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket
    let mailbox: Mailbox
    init(mailbox: Mailbox) { self.mailbox = mailbox }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { mailbox.append(unwrapInboundIn(data)) }
    func channelInactive(context: ChannelHandlerContext) { mailbox.markClosed() }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
