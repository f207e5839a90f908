import Hummingbird
package import ListenerSafety
package import Logging
import NIOCore
package import Prometheus

/// A server's operator endpoint: `/healthz` (the process is alive: always 200), `/readyz` (its
/// dependencies work: 200, else 503, with a JSON body naming each) and `/metrics` (its own
/// Prometheus registry, text format 0.0.4).
///
/// Each server has a registry of its own rather than the global `MetricsSystem`: the demo and the
/// tests run several servers in one process, and a process-wide bootstrap would mix their
/// figures (that is also why Hummingbird's `MetricsMiddleware`, which records into the global
/// system, is not used; ``RequestMetricsMiddleware`` is its per-registry counterpart).
///
/// A port that cannot be bound is logged as a warning and the server goes on without the
/// endpoint: observability never stops a server from serving.
package struct OperatorServer: Sendable {
    /// Where it listens.
    package let endpoint: OperatorEndpoint
    private let registry: PrometheusCollectorRegistry
    private let limits: ListenerLimits
    private let logger: Logger
    private let readiness: @Sendable () async -> Readiness
    private let beforeScrape: @Sendable () async -> Void
    private let binding = BindingState()

    /// Limits for an endpoint that only probes and scrapes use: short timeouts, few connections.
    package static let defaultLimits = ListenerLimits(headerTimeout: .seconds(10), idleTimeout: .seconds(30), maximumConnections: 64)

    /// - Parameters:
    ///   - endpoint: where to listen.
    ///   - registry: the metrics `/metrics` shows.
    ///   - limits: timeouts and the connection bound of the listener.
    ///   - logger: where the listening address and a port that cannot be bound are logged.
    ///   - beforeScrape: runs before each scrape (to set gauges read from state, e.g. connections).
    ///   - readiness: what `/readyz` answers; keep it quick (it runs on every probe).
    package init(
        endpoint: OperatorEndpoint, registry: PrometheusCollectorRegistry, limits: ListenerLimits = defaultLimits, logger: Logger,
        beforeScrape: @escaping @Sendable () async -> Void = {}, readiness: @escaping @Sendable () async -> Readiness
    ) {
        self.endpoint = endpoint
        self.registry = registry
        self.limits = limits
        self.logger = logger
        self.beforeScrape = beforeScrape
        self.readiness = readiness
    }

    /// Serves until the task is cancelled or a graceful shutdown. Never throws: a failure to bind
    /// is a warning, after which it returns.
    package func run() async {
        let router = Router()
        router.get("healthz") { _, _ -> Response in
            Self.response(.ok, contentType: "application/json", #"{"status":"ok"}"#)
        }
        router.get("readyz") { [readiness] _, _ -> Response in
            let state = await readiness()
            return Self.response(state.ready ? .ok : .serviceUnavailable, contentType: "application/json", state.json)
        }
        router.get("metrics") { [registry, beforeScrape] _, _ -> Response in
            await beforeScrape()
            return Self.response(.ok, contentType: "text/plain; version=0.0.4; charset=utf-8", registry.emitToString())
        }
        let endpoint = endpoint
        // Hummingbird reports the cancellation of a stop as an error; our own lines say what matters.
        var quiet = logger
        if logger.logLevel > .debug { quiet.logLevel = .critical }
        let app = Application(
            router: router,
            server: limits.http1,
            configuration: limits.applicationConfiguration(address: .hostname(endpoint.host, port: endpoint.port), logger: quiet),
            onServerRunning: { [binding, logger] channel in
                let port = channel.localAddress?.port ?? endpoint.port
                binding.bound(port)
                logger.info("health and metrics endpoints listening", metadata: ["address": "http://\(OperatorEndpoint(host: endpoint.host, port: port))"])
            },
            logger: quiet)
        do {
            try await app.run()
        } catch {
            if binding.currentPort == nil, !Task.isCancelled {
                logger.warning(
                    "cannot serve /healthz, /readyz and /metrics on \(endpoint): \(error). Going on without them; choose another address (or 'off') to silence this.",
                    metadata: ["address": "\(endpoint)"])
            } else if !Task.isCancelled {
                logger.error("health and metrics endpoints stopped", metadata: ["error": "\(error)"])
            }
        }
        binding.finished()
    }

    /// The port it listens on, once it does; nil if it could not bind (it waits for one or the
    /// other, so call it while ``run()`` runs).
    package func boundPort() async -> Int? { await binding.wait() }

    /// The port it listens on now, if any (does not wait).
    package var currentPort: Int? { binding.currentPort }

    private static func response(_ status: HTTPResponse.Status, contentType: String, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
