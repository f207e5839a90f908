import Foundation
import Observability
import Synchronization

extension HubServer {
    /// Port of `/healthz`, `/readyz` and `/metrics` (``HubConfiguration/metricsEndpoint``); nil
    /// without one, or when its port could not be bound.
    public var metricsPort: Int? { observer.port }

    /// The hub's metrics in Prometheus text format (what `/metrics` serves).
    public func metricsText() -> String {
        refreshGauges()
        return core.metrics.registry.emitToString()
    }

    /// Gauges read from the broker's state when scraped, so that nothing is counted per connection.
    private func refreshGauges() {
        core.metrics.connections.set(to: Double(core.broker.connectionCount))
    }

    /// Ready while every MQTT listener is open and the database answers.
    func readiness() async -> Readiness {
        let listening = !listeners.isEmpty || mqttTLSPort == nil && mqttPlainPort == nil
        return Readiness([
            .init("listening", listening && listeners.allSatisfy(\.isActive)),
            .init("database", await core.registry.isReadable()),
        ], counts: [("connections", core.broker.connectionCount)])
    }

    /// Starts the operator endpoint, if configured, and waits until it listens (or could not).
    func startOperatorEndpoint() async {
        guard let endpoint = configuration.metricsEndpoint else { return }
        let server = OperatorServer(
            endpoint: endpoint, registry: core.metrics.registry, logger: configuration.logger,
            beforeScrape: { [weak self] in self?.refreshGauges() },
            readiness: { [weak self] in await self?.readiness() ?? Readiness([.init("listening", false)]) })
        let task = Task { await server.run() }
        observer.started(task, port: await server.boundPort())
    }
}

/// Where a server keeps its operator endpoint's task and port.
final class ObserverSlot: Sendable {
    private let state = Mutex<(task: Task<Void, Never>?, port: Int?)>((nil, nil))

    var port: Int? { state.withLock { $0.port } }

    func started(_ task: Task<Void, Never>, port: Int?) {
        state.withLock { $0 = (task, port) }
    }

    /// Stops the endpoint (at shutdown) and waits for it.
    func stop() async {
        let task = state.withLock { state in
            defer { state = (nil, nil) }
            return state.task
        }
        task?.cancel()
        await task?.value
    }
}
