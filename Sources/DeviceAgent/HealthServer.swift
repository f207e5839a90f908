import Foundation
import Hummingbird
import ListenerSafety
import Logging
import NIOCore
import Synchronization

/// `/healthz` (the process is alive), `/readyz` (hub, storage and camera are working) and
/// `/metrics` (Prometheus text format) for the agent, on a loopback address by default.
struct HealthServer: Sendable {
    let host: String
    let port: Int
    let agent: DeviceAgent
    let metrics: AgentMetrics
    let logger: Logger
    /// Timeouts and the connection bound (``DeviceAgentConfiguration/healthListenerLimits``).
    let limits: ListenerLimits
    /// The port actually bound (useful with port 0).
    let boundPort = BoundPort()

    func run() async throws {
        let router = Router()
        router.get("healthz") { _, _ -> Response in
            Self.json(.ok, #"{"status":"ok"}"#)
        }
        router.get("readyz") { [agent] _, _ -> Response in
            let state = await agent.readiness()
            let ready = state.hub && state.storage && state.camera
            let body = #"{"ready":\#(ready),"hub":\#(state.hub),"storage":\#(state.storage),"camera":\#(state.camera),"pending":\#(state.pending)}"#
            return Self.json(ready ? .ok : .serviceUnavailable, body)
        }
        router.get("metrics") { [metrics] _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        let app = Application(
            router: router,
            server: limits.http1,
            configuration: limits.applicationConfiguration(address: .hostname(host, port: port), logger: logger),
            onServerRunning: { [boundPort, logger] channel in
                let port = channel.localAddress?.port
                boundPort.value.withLock { $0 = port }
                logger.info("health and metrics endpoints listening", metadata: ["address": "http://\(host):\(port ?? 0)"])
            },
            logger: logger)
        try await app.run()
    }

    private static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Where the health server ended up listening, shared between the server task and its owner.
final class BoundPort: Sendable {
    let value = Mutex<Int?>(nil)
}
