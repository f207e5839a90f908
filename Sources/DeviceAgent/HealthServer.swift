import Logging
import Observability

/// The agent's operator endpoint: `/healthz`, `/readyz` (hub, storage and camera are working;
/// the requests pending beside them) and `/metrics`, on a loopback address by default.
enum HealthServer {
    static func make(endpoint: (host: String, port: Int), agent: DeviceAgent, metrics: AgentMetrics, configuration: DeviceAgentConfiguration, logger: Logger) -> OperatorServer {
        OperatorServer(
            endpoint: OperatorEndpoint(host: endpoint.host, port: endpoint.port), registry: metrics.registry,
            limits: configuration.healthListenerLimits, logger: logger,
            readiness: { [agent] in
                let state = await agent.readiness()
                return Readiness(
                    [.init("hub", state.hub), .init("storage", state.storage), .init("camera", state.camera)],
                    counts: [("pending", state.pending)])
            })
    }
}
