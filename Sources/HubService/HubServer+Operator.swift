import NIOCore
import Observability

extension RunningHubServer {
    /// The hub's metrics in Prometheus text format (what `/metrics` serves).
    public func metricsText() -> String {
        HubServer.refreshGauges(core)
        return core.metrics.registry.emitToString()
    }
}

extension HubServer {

    /// The operator endpoint, run in the hub's service group beside the REST API.
    static func operatorServer(_ endpoint: OperatorEndpoint, core: HubCore, listeners: [any Channel], expectsListeners: Bool) -> OperatorServer {
        OperatorServer(
            endpoint: endpoint, registry: core.metrics.registry, logger: core.logger,
            beforeScrape: { refreshGauges(core) },
            readiness: { await readiness(core: core, listeners: listeners, expectsListeners: expectsListeners) })
    }

    /// Gauges read from the broker's state when scraped, so that nothing is counted per connection.
    static func refreshGauges(_ core: HubCore) {
        core.metrics.connections.set(to: Double(core.broker.connectionCount))
    }

    /// Ready while every MQTT listener is open and the database answers.
    static func readiness(core: HubCore, listeners: [any Channel], expectsListeners: Bool) async -> Readiness {
        let listening = !listeners.isEmpty || !expectsListeners
        return Readiness([
            .init("listening", listening && listeners.allSatisfy(\.isActive)),
            .init("database", await core.registry.isReadable()),
        ], counts: [("connections", core.broker.connectionCount)])
    }
}
