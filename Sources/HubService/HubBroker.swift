import EdgeFactorSupport
import Foundation
import IoTHub
import Logging
import MQTT
import NIOCore
import Synchronization

/// Who is connected, what they subscribed to, and the direct-method calls waiting for answers.
final class HubBroker: Sendable {
    enum MethodOutcome: Sendable {
        case response(status: Int, payload: ByteBuffer)
        case offline
        case timeout
    }

    private struct PendingMethod {
        var clientId: String
        var continuation: CheckedContinuation<MethodOutcome, Never>
        var timer: Scheduled<Void>?
    }

    private struct State {
        var connections: [String: HubConnection] = [:]
        var subscriptions: [String: Set<String>] = [:]
        var pendingMethods: [UInt64: PendingMethod] = [:]
        var nextRequestId: UInt64 = 0
    }

    private let registry: IdentityRegistry
    private let logger: Logger
    private let metrics: HubMetrics
    private let state = Mutex(State())

    init(registry: IdentityRegistry, metrics: HubMetrics, logger: Logger) {
        self.registry = registry
        self.metrics = metrics
        self.logger = logger
    }

    // MARK: Connections

    /// Makes `connection` the identity's live connection (closing an older one: one connection
    /// per identity) with the session's stored subscriptions.
    func activate(_ connection: HubConnection, subscriptions: Set<String>) {
        let previous = state.withLock { state -> HubConnection? in
            let previous = state.connections[connection.clientId]
            state.connections[connection.clientId] = connection
            state.subscriptions[connection.clientId] = subscriptions
            return previous
        }
        if let previous {
            logger.info("new connection replaces the previous one", metadata: ["client": "\(connection.clientId)"])
            previous.close()
        }
    }

    func deactivate(_ connection: HubConnection) {
        state.withLock { state in
            if state.connections[connection.clientId] === connection {
                state.connections[connection.clientId] = nil
            }
        }
    }

    func isConnected(_ clientId: String) -> Bool {
        state.withLock { $0.connections[clientId] != nil }
    }

    var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Closes the connections of a device and its modules (or of one module).
    func disconnect(deviceId: String, moduleId: String?) {
        let victims = state.withLock { state -> [HubConnection] in
            state.connections.values.filter { connection in
                connection.identity.deviceId == deviceId && (moduleId == nil || connection.identity.moduleId == moduleId)
            }
        }
        for connection in victims { connection.close() }
    }

    // MARK: Subscriptions

    /// Adds filters to the client's persistent session.
    func subscribe(_ clientId: String, filters: [String]) async throws {
        state.withLock { $0.subscriptions[clientId, default: []].formUnion(filters) }
        try await registry.saveSubscriptions(clientId: clientId, added: filters, removed: [], clear: false)
    }

    func unsubscribe(_ clientId: String, filters: [String]) async throws {
        state.withLock { $0.subscriptions[clientId]?.subtract(filters) }
        try await registry.saveSubscriptions(clientId: clientId, added: [], removed: filters, clear: false)
    }

    func subscriptionCount(_ clientId: String) -> Int {
        state.withLock { $0.subscriptions[clientId]?.count ?? 0 }
    }

    /// The live connection of `clientId` if it subscribed to `topic`.
    private func subscriber(_ clientId: String, for topic: String) -> HubConnection? {
        state.withLock { state in
            guard let connection = state.connections[clientId],
                  let filters = state.subscriptions[clientId],
                  filters.contains(where: { MQTTTopic.matches(filter: $0, topic: topic) })
            else { return nil }
            return connection
        }
    }

    // MARK: Direct methods

    /// Sends a method request to the identity and waits for its answer (counted in
    /// `method_calls_total` by result, and timed).
    func invokeMethod(
        clientId: String, name: String, payload: ByteBuffer, responseTimeout: Duration, connectTimeout: Duration
    ) async -> MethodOutcome {
        let start = ContinuousClock.now
        let outcome = await deliverMethod(clientId: clientId, name: name, payload: payload, responseTimeout: responseTimeout, connectTimeout: connectTimeout)
        metrics.methodCall(outcome, duration: .now - start)
        return outcome
    }

    private func deliverMethod(
        clientId: String, name: String, payload: ByteBuffer, responseTimeout: Duration, connectTimeout: Duration
    ) async -> MethodOutcome {
        let probe = "$iothub/methods/POST/\(name)/"
        var connection = subscriber(clientId, for: probe)
        if connection == nil, connectTimeout > .zero {
            let deadline = ContinuousClock.now + connectTimeout
            while connection == nil, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(100))
                connection = subscriber(clientId, for: probe)
            }
        }
        guard let connection else { return .offline }
        let requestId = state.withLock { state -> UInt64 in
            state.nextRequestId &+= 1
            return state.nextRequestId
        }
        let rid = String(requestId, radix: 16)
        let eventLoop = connection.channel.eventLoop
        let timeout = TimeAmount.saturating(seconds: responseTimeout.inSeconds)
        let request = MQTTPacket.publish(MQTTPublish(topic: IoTHubTopic.methodRequest(name: name, requestId: rid), payload: payload))
        return await withCheckedContinuation { continuation in
            state.withLock { state in
                state.pendingMethods[requestId] = PendingMethod(clientId: clientId, continuation: continuation, timer: nil)
            }
            // Timer and request in one hop to the connection's event loop (each cross-thread
            // schedule, write or cancel is one); the answer arrives on that loop, which cancels
            // the timer there, after it was set.
            eventLoop.execute {
                let timer = eventLoop.scheduleTask(in: timeout) {
                    self.resolveMethod(requestId, clientId: nil, outcome: .timeout)
                }
                let stillPending = self.state.withLock { state -> Bool in
                    guard state.pendingMethods[requestId] != nil else { return false }
                    state.pendingMethods[requestId]?.timer = timer
                    return true
                }
                if stillPending {
                    self.metrics.methodRequestsSent.increment()
                    connection.channel.writeAndFlush(request, promise: nil)
                } else {
                    timer.cancel()
                }
            }
        }
    }

    /// A device's answer on `$iothub/methods/res/{status}/?$rid=...`; ignored unless that same
    /// identity was asked.
    func completeMethod(rid: String, from clientId: String, status: Int, payload: ByteBuffer) {
        metrics.methodResponsesReceived.increment()
        guard let requestId = UInt64(rid, radix: 16) else { return }
        resolveMethod(requestId, clientId: clientId, outcome: .response(status: status, payload: payload))
    }

    private func resolveMethod(_ requestId: UInt64, clientId: String?, outcome: MethodOutcome) {
        let pending = state.withLock { state -> PendingMethod? in
            guard let pending = state.pendingMethods[requestId] else { return nil }
            if let clientId, pending.clientId != clientId { return nil }
            return state.pendingMethods.removeValue(forKey: requestId)
        }
        guard let pending else { return }
        pending.timer?.cancel()
        pending.continuation.resume(returning: outcome)
    }

    // MARK: Twins

    /// Pushes a desired-properties patch (already carrying `$version`) to a subscribed client.
    func pushDesired(clientId: String, version: Int, patch: ByteBuffer) {
        let topic = IoTHubTopic.desiredPatch(version: version)
        guard let connection = subscriber(clientId, for: topic) else { return }
        metrics.desiredPatchesSent.increment()
        connection.send(.publish(MQTTPublish(topic: topic, payload: patch)))
    }
}

extension HubBroker {
    /// Closes every live connection (hub shutdown).
    func disconnectAll() {
        let all = state.withLock { Array($0.connections.values) }
        for connection in all { connection.close() }
    }
}
