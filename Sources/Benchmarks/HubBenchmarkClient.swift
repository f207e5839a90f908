import Foundation
import MQTT
import NIOCore
import NIOPosix
import Synchronization

/// A lean MQTT connection for load generation, used identically against the hub and Mosquitto so
/// the comparison measures the servers, not two different clients. Publishing and answering run on
/// the connection's event loop, clocked by the server's acknowledgements.
final class HubBenchConnection: Sendable {
    enum Role: Sendable {
        /// Connects and stays idle.
        case idle
        /// Publishes `total` QoS 1 messages keeping `window` unacknowledged.
        case publisher(topic: String, payload: ByteBuffer, total: Int, window: Int)
        /// Counts PUBLISHes it receives (acknowledging QoS 1).
        case counter
        /// Answers `req/<n>` with a QoS 1 `res/<n>` (Mosquitto request/response baseline).
        case responder
        /// Sends `total` QoS 0 requests `req/<n>` keeping `window` outstanding; counts `res/` answers.
        case requester(total: Int, window: Int)
    }

    private struct State {
        var connack: CheckedContinuation<MQTTConnAck, any Error>?
        var done: CheckedContinuation<Void, Never>?
        var sent = 0
        var completed = 0
        var received = 0
        var nextPacketId: UInt16 = 0
        var finished = false
    }

    let role: Role
    private let state = Mutex(State())
    private let channelBox = Mutex<(any Channel)?>(nil)

    init(role: Role) {
        self.role = role
    }

    var channel: (any Channel)? { channelBox.withLock { $0 } }
    var completed: Int { state.withLock { $0.completed } }
    var received: Int { state.withLock { $0.received } }

    /// Opens TCP to 127.0.0.1:`port` (from the loopback address `source`, if given: each source
    /// address has its own ephemeral ports), sends `connect`, and returns the CONNACK.
    func open(port: Int, connect: MQTTConnect, source: String? = nil) async throws -> MQTTConnAck {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        let channel = try await bootstrap
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(30))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(ByteToMessageHandler(MQTTPacketDecoder(maxPacketSize: 1 << 20)))
                    try pipeline.addHandler(MessageToByteHandler(MQTTPacketEncoder()))
                    try pipeline.addHandler(BenchForwardingHandler(connection: self))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        channelBox.withLock { $0 = channel }
        return try await withCheckedThrowingContinuation { continuation in
            state.withLock { $0.connack = continuation }
            channel.writeAndFlush(MQTTPacket.connect(connect), promise: nil)
        }
    }

    func subscribe(_ filter: String) {
        channel?.writeAndFlush(MQTTPacket.subscribe(MQTTSubscribe(packetId: 1, filters: [.init(filter)])), promise: nil)
    }

    /// Starts publishing or requesting and returns when all are acknowledged/answered (or at `deadline`).
    func run(until deadline: ContinuousClock.Instant) async {
        guard let channel else { return }
        let initial: Int
        switch role {
        case .publisher(_, _, let total, let window), .requester(let total, let window): initial = min(total, window)
        default: return
        }
        let timer = Task {
            try? await Task.sleep(until: deadline)
            self.finish()
        }
        await withCheckedContinuation { continuation in
            state.withLock { $0.done = continuation }
            channel.eventLoop.execute {
                for _ in 0..<initial { self.sendNext(on: channel) }
            }
        }
        timer.cancel()
    }

    func close() async {
        try? await channel?.close()
    }

    private func finish() {
        let done = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            defer { state.done = nil }
            return state.done
        }
        done?.resume()
    }

    private func sendNext(on channel: any Channel) {
        let next = state.withLock { state -> (Int, UInt16)? in
            guard !state.finished else { return nil }
            switch role {
            case .publisher(_, _, let total, _), .requester(let total, _):
                guard state.sent < total else { return nil }
            default:
                return nil
            }
            state.sent += 1
            state.nextPacketId = state.nextPacketId == .max ? 1 : state.nextPacketId + 1
            return (state.sent, state.nextPacketId)
        }
        guard let (number, packetId) = next else { return }
        switch role {
        case .publisher(let topic, let payload, _, _):
            channel.writeAndFlush(MQTTPacket.publish(MQTTPublish(topic: topic, payload: payload, qos: .atLeastOnce, packetId: packetId)), promise: nil)
        case .requester:
            channel.writeAndFlush(MQTTPacket.publish(MQTTPublish(topic: "req/\(number)", payload: ByteBuffer(string: "{\"n\":\(number)}"))), promise: nil)
        default:
            break
        }
    }

    /// Called on the event loop for every packet.
    fileprivate func received(_ packet: MQTTPacket, on channel: any Channel) {
        switch packet {
        case .connack(let ack):
            let waiter = state.withLock { state in
                defer { state.connack = nil }
                return state.connack
            }
            waiter?.resume(returning: ack)
        case .puback:
            if case .publisher(_, _, let total, _) = role { complete(total: total, on: channel) }
        case .publish(let publish):
            if publish.qos == .atLeastOnce, let id = publish.packetId {
                channel.write(MQTTPacket.puback(packetId: id), promise: nil)
            }
            switch role {
            case .counter:
                state.withLock { $0.received += 1 }
                channel.flush()
            case .responder:
                let suffix = publish.topic.dropFirst(4)
                let packetId = state.withLock { state -> UInt16 in
                    state.nextPacketId = state.nextPacketId == .max ? 1 : state.nextPacketId + 1
                    return state.nextPacketId
                }
                channel.writeAndFlush(MQTTPacket.publish(MQTTPublish(topic: "res/\(suffix)", payload: publish.payload, qos: .atLeastOnce, packetId: packetId)), promise: nil)
            case .requester(let total, _):
                channel.flush()
                complete(total: total, on: channel)
            default:
                channel.flush()
            }
        default:
            break
        }
    }

    private func complete(total: Int, on channel: any Channel) {
        let done = state.withLock { state -> Bool in
            state.completed += 1
            return state.completed >= total
        }
        if done { finish() } else { sendNext(on: channel) }
    }

    fileprivate func closed() {
        let waiter = state.withLock { state in
            defer { state.connack = nil }
            return state.connack
        }
        waiter?.resume(throwing: ChannelError.ioOnClosedChannel)
        finish()
    }
}

private final class BenchForwardingHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket
    let connection: HubBenchConnection
    init(connection: HubBenchConnection) { self.connection = connection }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { connection.received(unwrapInboundIn(data), on: context.channel) }
    func channelInactive(context: ChannelHandlerContext) { connection.closed() }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
