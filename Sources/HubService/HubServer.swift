import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import IoTHub
import ListenerSafety
import Logging
import MQTT
import NIOCore
import NIOPosix
import NIOSSL
import Observability
public import ServiceLifecycle
import Synchronization

/// EdgeFactor's built-in IoT hub: MQTT 3.1.1 for devices and modules (TLS, optionally plain TCP
/// on loopback) and IoT Hub's service REST API, backed by SQLite. A ServiceLifecycle service: put
/// it in a `ServiceGroup`, or run it for the length of a closure:
///
/// ```swift
/// try await HubServer.withRunning(.ephemeral()) { hub in
///     let module = try await hub.addModule(deviceId: "edge1", moduleId: "verifier")
///     let client = ModuleClient(connectionString: module, options: hub.clientOptions())
///     let service = hub.serviceClient()
///     …
/// }
/// ```
public struct HubServer: Service {
    public let configuration: HubConfiguration
    private let onListening: @Sendable (RunningHubServer) async -> Void

    /// - Parameters:
    ///   - configuration: where it keeps its data, where it listens, its certificate and limits.
    ///   - onListening: called once every listener is up, with where they are (ports asked as 0
    ///     are resolved).
    public init(configuration: HubConfiguration, onListening: @escaping @Sendable (RunningHubServer) async -> Void = { _ in }) {
        self.configuration = configuration
        self.onListening = onListening
    }

    /// Runs a hub while `body` runs, then shuts it down gracefully and waits for it.
    /// - Throws: ``HubStartError`` if it cannot start, or what `body` throws.
    public static func withRunning<Result>(
        _ configuration: HubConfiguration, _ body: (RunningHubServer) async throws -> Result
    ) async throws -> Result {
        try await ScopedService.withRunning(logger: configuration.logger, { HubServer(configuration: configuration, onListening: $0) }, body)
    }

    /// Opens the data directory, prepares certificates and keys, starts every listener, reports
    /// them through `onListening`, and serves until graceful shutdown; then closes every
    /// connection and finishes writing queued telemetry.
    /// - Throws: ``HubStartError`` when a port is taken or a file cannot be used.
    public func run() async throws {
        let configuration = self.configuration
        let logger = configuration.logger
        let directory = configuration.dataDirectory
        try Self.checkBindPolicy(configuration)
        let (database, registry) = try Self.openDatabase(in: directory)
        let identity = try Self.loadTLSIdentity(configuration)
        let policyKey = try await Self.loadPolicyKey(configuration, registry: registry)

        let metrics = HubMetrics()
        let broker = HubBroker(registry: registry, metrics: metrics, logger: logger)
        let telemetry = TelemetryStore(
            database: database, maxMessages: configuration.telemetryMaxMessages,
            maxAge: configuration.telemetryMaxAge, logger: logger
        )
        let core = HubCore(configuration: configuration, registry: registry, broker: broker, telemetry: telemetry, metrics: metrics)
        await telemetry.trim()

        let mqtt: MQTTListeners
        do {
            mqtt = try await Self.bindMQTTListeners(core: core, tls: identity.sslContext)
        } catch {
            telemetry.finish()
            throw error
        }
        let listeners = mqtt.channels
        let tlsPort = mqtt.tlsPort, plainPort = mqtt.plainPort
        let caPEM = identity.caPEM, caFile = identity.caFile, tlsConfiguration = identity.tlsConfiguration

        // REST API.
        let portBox = Mutex(configuration.restPort)
        let api = ServiceAPI(core: core, policyName: configuration.policyName, policyKeys: [policyKey], restPort: { portBox.withLock { $0 } })
        let (running, runningContinuation) = AsyncStream.makeStream(of: Result<Int, any Error>.self)
        let app = Application(
            router: api.makeRouter(),
            server: configuration.restTLS
                ? try .tls(.http1(configuration: configuration.restListenerLimits.http1Configuration), tlsConfiguration: tlsConfiguration)
                : configuration.restListenerLimits.http1,
            configuration: configuration.restListenerLimits.applicationConfiguration(
                address: .hostname(configuration.bindHost, port: configuration.restPort), serverName: "EdgeFactorHub", logger: logger
            ),
            onServerRunning: { channel in
                runningContinuation.yield(.success(channel.localAddress?.port ?? 0))
            },
            logger: logger
        )
        let operatorServer = configuration.metricsEndpoint.map { endpoint in
            Self.operatorServer(endpoint, core: core, listeners: listeners, expectsListeners: tlsPort != nil || plainPort != nil)
        }
        var services: [any Service] = [app]
        if let operatorServer { services.append(OperatorService(operatorServer)) }
        let serviceGroup = ServiceGroup(services: services, logger: logger)
        // The telemetry writer and the REST group are children of this call; the group follows
        // this service's graceful shutdown by itself (a nested ServiceGroup does).
        try await withThrowingDiscardingTaskGroup { children in
            children.addTask { await telemetry.run() }
            children.addTask {
                defer { runningContinuation.finish() }
                do {
                    try await serviceGroup.run()
                } catch {
                    runningContinuation.yield(.failure(error))
                }
            }
            var restPort = 0
            for await result in running {
                switch result {
                case .success(let port): restPort = port
                case .failure(let error):
                    for listener in listeners { try? await listener.close() }
                    telemetry.finish()
                    throw HubStartError("cannot serve the REST API on \(configuration.bindHost):\(configuration.restPort): \(error)")
                }
                break
            }
            guard restPort != 0 else {
                for listener in listeners { try? await listener.close() }
                telemetry.finish()
                throw HubStartError("the REST API stopped before it started")
            }
            portBox.withLock { $0 = restPort }

            let serviceHost = restPort == 443 ? configuration.hostName : "\(configuration.hostName):\(restPort)"
            let hub = RunningHubServer(
                configuration: configuration, mqttTLSPort: tlsPort, mqttPlainPort: plainPort, restPort: restPort,
                caCertificatePEM: caPEM, caCertificateFile: caFile,
                serviceConnectionString: IoTHubConnectionString(
                    hostName: serviceHost, sharedAccessKey: policyKey, sharedAccessKeyName: configuration.policyName
                ),
                core: core, listeners: listeners, metricsPort: await operatorServer?.boundPort()
            )
            try hub.writeDescription()
            logger.info("hub running", metadata: [
                "mqtts": "\(tlsPort.map(String.init) ?? "off")", "mqtt": "\(plainPort.map(String.init) ?? "off")",
                "rest": "\(configuration.restTLS ? "https" : "http")://\(configuration.bindHost):\(restPort)",
                "data": "\(directory.path)",
            ])
            await onListening(hub)

            // Serve until a graceful shutdown (or cancellation), then stop in this order: no new
            // connections, every device off, telemetry streams ended so their HTTP responses can
            // complete, and the queued telemetry written.
            try? await gracefulShutdown()
            for listener in listeners { try? await listener.close() }
            core.broker.disconnectAll()
            core.telemetry.closeSubscribers()
            if Task.isCancelled { children.cancelAll() }
            core.telemetry.finish()
        }
        if configuration.removesDataDirectoryOnShutdown {
            try? FileManager.default.removeItem(at: configuration.dataDirectory)
        }
    }

    /// The MQTT listeners' receive buffers: 512 bytes to start, up to 64 KiB.
    static let mqttReceiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 512, initial: 512, maximum: 64 * 1024)

    static func bindMQTT(host: String, port: Int, tls: NIOSSLContext?, core: HubCore) async throws -> any Channel {
        let maxPacket = core.configuration.maxMessageSize + 16 * 1024
        let maximumConnections = core.configuration.maximumMQTTConnections
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelInitializer { channel in
                // Stops accepting while at the bound; silent connections leave after connectTimeout.
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AvailableConnectionsChannelHandler(maxConnections: maximumConnections))
                }
            }
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // Each channel keeps its last receive buffer for the next read: 512 bytes to start
            // (an idle device's packets are a few bytes) rather than NIO's 2 KiB, growing with bursts.
            .childChannelOption(.recvAllocator, value: Self.mqttReceiveAllocator)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
                    try pipeline.addHandler(ByteToMessageHandler(MQTTPacketDecoder(maxPacketSize: maxPacket)))
                    try pipeline.addHandler(MQTTPacketWriter())
                    try pipeline.addHandler(MQTTSessionHandler(core: core))
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}

/// Why the hub could not start, and what to change.
public struct HubStartError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
