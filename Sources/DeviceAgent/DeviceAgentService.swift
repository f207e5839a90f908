import Foundation
public import Logging
import Observability
public import ServiceLifecycle
import Synchronization
public import Vision

/// The device agent as a `Service`: run it in a `ServiceGroup` (the `edgefactor agent` command, the
/// demo, tests). A graceful shutdown (SIGTERM, SIGINT) stops taking requests, puts the ones still
/// being watched back on the queue for the next start, and finishes the ones being stored.
public struct DeviceAgentService: Service {
    private let agent: DeviceAgent
    private let metrics: AgentMetrics
    private let health: OperatorServer?
    private let logger: Logger

    /// Prepares the agent: validates the configuration, opens the camera and loads the model (or
    /// uses `classifier`, to share one loaded model between agents in one process, and `camera`, a
    /// frame source opened by the caller such as the demo's switchable camera).
    public init(
        configuration: DeviceAgentConfiguration, classifier: ImageClassifier? = nil, camera: (any FrameSource)? = nil,
        logger: Logger = Logger(label: "edgefactor.agent")
    ) throws {
        try configuration.validate()
        let model: ImageClassifier
        if let classifier {
            model = classifier
        } else {
            do { model = try ImageClassifier(configuration: ClassifierConfiguration.defaultModel()) } catch {
                throw DeviceAgentError.classifier("\(error)")
            }
        }
        let frames: any FrameSource
        do { frames = try camera ?? FrameSources.open(configuration.camera, options: configuration.cameraOptions) } catch {
            throw DeviceAgentError.camera("cannot open '\(configuration.camera)': \(error)")
        }
        var logger = logger
        logger[metadataKey: "device"] = "\(configuration.hub.deviceId ?? "?")"
        let metrics = AgentMetrics()
        let agent = try DeviceAgent(configuration: configuration, classifier: model, frames: frames, metrics: metrics, logger: logger)
        self.agent = agent
        self.metrics = metrics
        self.logger = logger
        health = configuration.healthEndpoint.map {
            HealthServer.make(endpoint: $0, agent: agent, metrics: metrics, configuration: configuration, logger: logger)
        }
    }

    public func run() async throws {
        logger.info("device agent starting")
        let grace = agent.configuration.shutdownGracePeriod
        var preview: MJPEGStreamServer?
        if let endpoint = agent.configuration.previewEndpoint {
            // The preview is for people: a port taken is a warning, never a reason not to answer requests.
            do {
                preview = try await MJPEGStreamServer.start(host: endpoint.host, port: endpoint.port, maximumClients: 4)
                logger.info("live preview", metadata: ["address": "http://\(endpoint.host):\(preview?.port ?? endpoint.port)/"])
            } catch {
                logger.warning("cannot serve the live preview", metadata: ["address": "\(endpoint.host):\(endpoint.port)", "error": "\(error)"])
            }
        }
        await agent.attachPreview(preview)
        do {
            try await withThrowingDiscardingTaskGroup { group in
                if let health {
                    group.addTask { await health.run() }
                }
                // A graceful shutdown asks the agent to drain; its run() returns once it has.
                group.addTask {
                    guard (try? await gracefulShutdown()) != nil else { return }
                    await agent.shutdown(grace: grace)
                }
                await agent.run()
                // The health server stops by itself on a graceful shutdown; cancel it otherwise
                // (and the shutdown watcher above, which is still waiting).
                group.cancelAll()
            }
        } catch {
            await preview?.stop()
            throw error
        }
        await preview?.stop()
    }

    /// Wakes the queue poller at once: call it after queueing a request in the same process
    /// (the edge module's `onRequestQueued` hook) to skip the polling delay.
    public func requestQueued() async { agent.requestQueued() }

    /// Stops the agent as a graceful shutdown would (for embedding without signals).
    func shutdown() async { await agent.shutdown(grace: agent.configuration.shutdownGracePeriod) }

    /// The Prometheus exposition of the agent's metrics.
    package func metricsText() -> String { metrics.exposition() }

    /// The port the health endpoint bound, once it is listening (nil without one).
    public var healthPort: Int? { health?.currentPort }

    /// The port the live preview bound, once it is listening (nil without one).
    func previewPort() async -> Int? { await agent.preview?.port }
}
