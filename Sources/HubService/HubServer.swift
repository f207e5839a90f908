import DevelopmentTLS
public import Foundation
import GRDB
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import IoTHub
import ListenerSafety
import Logging
import MQTT
import NIOCore
import NIOPosix
import NIOSSL
import Observability
import PrivateFiles
import ServiceLifecycle
import Synchronization

/// EdgeFactor's built-in IoT hub: MQTT 3.1.1 for devices and modules (TLS, optionally plain TCP
/// on loopback) and IoT Hub's service REST API, backed by SQLite.
///
/// ```swift
/// let hub = try await HubServer.start(.ephemeral())
/// let module = try await hub.addModule(deviceId: "edge1", moduleId: "verifier")
/// let client = ModuleClient(connectionString: module, options: hub.clientOptions())
/// let service = hub.serviceClient()
/// ...
/// await hub.shutdown()
/// ```
public final class HubServer: Sendable {
    public let configuration: HubConfiguration
    /// The `HostName` of the hub's identities.
    public let hostName: String
    /// Port of the MQTT over TLS listener, if enabled.
    public let mqttTLSPort: Int?
    /// Port of the plain-TCP MQTT listener, if enabled.
    public let mqttPlainPort: Int?
    /// Port of the service REST API.
    public let restPort: Int
    /// PEM text of the CA that clients must trust (the development CA, or the supplied chain).
    public let caCertificatePEM: String
    /// File holding ``caCertificatePEM`` (for `server_verification_cert` / `REQUESTS_CA_BUNDLE`).
    public let caCertificateFile: URL
    /// Service connection string of the `iothubowner`-like policy (`HostName=host:restPort;...`).
    public let serviceConnectionString: IoTHubConnectionString

    let core: HubCore
    let listeners: [any Channel]
    /// Port of `/healthz`, `/readyz` and `/metrics` (``HubConfiguration/metricsEndpoint``); nil
    /// without one, or when its port could not be bound.
    public let metricsPort: Int?
    private let serviceGroup: ServiceGroup
    private let backgroundTasks: Mutex<[Task<Void, Never>]>
    private let finished: Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>

    private init(
        configuration: HubConfiguration, mqttTLSPort: Int?, mqttPlainPort: Int?, restPort: Int,
        caCertificatePEM: String, caCertificateFile: URL, serviceConnectionString: IoTHubConnectionString,
        core: HubCore, listeners: [any Channel], metricsPort: Int?, serviceGroup: ServiceGroup, backgroundTasks: [Task<Void, Never>]
    ) {
        self.configuration = configuration
        self.hostName = configuration.hostName
        self.mqttTLSPort = mqttTLSPort
        self.mqttPlainPort = mqttPlainPort
        self.restPort = restPort
        self.caCertificatePEM = caCertificatePEM
        self.caCertificateFile = caCertificateFile
        self.serviceConnectionString = serviceConnectionString
        self.core = core
        self.listeners = listeners
        self.metricsPort = metricsPort
        self.serviceGroup = serviceGroup
        self.backgroundTasks = Mutex(backgroundTasks)
        self.finished = Mutex((false, []))
    }

    /// Opens the data directory, prepares certificates and keys, and starts every listener.
    /// Throws ``HubStartError`` when a port is taken or a file cannot be used.
    public static func start(_ configuration: HubConfiguration) async throws -> HubServer {
        let logger = configuration.logger
        let directory = configuration.dataDirectory
        let insecure = [
            configuration.mqttPlainPort != nil ? "plain (unencrypted) MQTT" : nil,
            configuration.restTLS ? nil : "the service REST API over plain HTTP",
        ].compactMap { $0 }
        if !insecure.isEmpty, let refusal = BindPolicy.refusal(
            host: configuration.bindHost, exposing: insecure.joined(separator: " and "), allowed: configuration.allowInsecureRemote
        ) {
            throw HubStartError(refusal)
        }
        if let endpoint = configuration.metricsEndpoint,
           let refusal = endpoint.refusal(allowRemote: configuration.allowInsecureRemote, option: "--metrics-address") {
            throw HubStartError(refusal)
        }
        do {
            try PrivateFiles.createDirectory(directory.path)
            try PrivateFiles.prepareDatabase(at: directory.appendingPathComponent("hub.sqlite").path)
        } catch {
            throw HubStartError("cannot create the data directory \(directory.path): \(error)")
        }
        let database: DatabasePool
        do {
            database = try HubDatabase.open(at: directory.appendingPathComponent("hub.sqlite"))
        } catch {
            throw HubStartError("cannot open the hub database in \(directory.path): \(error)")
        }
        let registry = IdentityRegistry(database: database)

        // TLS identity.
        let caPEM: String
        let chainPEM: String
        let keyPEM: String
        switch configuration.certificate {
        case .developmentCA:
            let certificates = try DevelopmentCertificates.loadOrCreate(
                in: directory.appendingPathComponent("certs"), hostName: configuration.hostName
            )
            caPEM = certificates.caCertificatePEM
            chainPEM = certificates.serverCertificatePEM + certificates.caCertificatePEM
            keyPEM = certificates.serverKeyPEM
        case .files(let chainPath, let keyPath):
            guard let chain = try? String(contentsOfFile: chainPath, encoding: .utf8),
                  let key = try? String(contentsOfFile: keyPath, encoding: .utf8) else {
                throw HubStartError("cannot read the certificate chain \(chainPath) or key \(keyPath)")
            }
            caPEM = chain
            chainPEM = chain
            keyPEM = key
        }
        let caFile = directory.appendingPathComponent("certs").appendingPathComponent("ca.pem")
        if case .files = configuration.certificate {
            try? PrivateFiles.createDirectory(caFile.deletingLastPathComponent().path)
            try? caPEM.write(to: caFile, atomically: true, encoding: .utf8)
        }
        // TLS 1.2 or later (the Azure Python device SDK speaks exactly 1.2), with a short close.
        let tlsConfiguration: TLSConfiguration
        do {
            tlsConfiguration = try ServerTLSConfiguration.make(chainPEM: chainPEM, keyPEM: keyPEM)
        } catch {
            throw HubStartError(error.message)
        }
        let sslContext = try NIOSSLContext(configuration: tlsConfiguration)

        // Policy key.
        let policyKey: String
        if let key = configuration.policyKey {
            policyKey = key
        } else if let stored = try await registry.setting("policyKey") {
            policyKey = stored
        } else {
            policyKey = IdentityRegistry.newKey()
            try await registry.setSetting("policyKey", policyKey)
        }

        let metrics = HubMetrics()
        let broker = HubBroker(registry: registry, metrics: metrics, logger: logger)
        let telemetry = TelemetryStore(
            database: database, maxMessages: configuration.telemetryMaxMessages,
            maxAge: configuration.telemetryMaxAge, logger: logger
        )
        let core = HubCore(configuration: configuration, registry: registry, broker: broker, telemetry: telemetry, metrics: metrics)
        var tasks: [Task<Void, Never>] = [Task { await telemetry.run() }]
        await telemetry.trim()

        // MQTT listeners.
        var listeners: [any Channel] = []
        var tlsPort: Int?
        var plainPort: Int?
        do {
            if let port = configuration.mqttTLSPort {
                let channel = try await bindMQTT(host: configuration.bindHost, port: port, tls: sslContext, core: core)
                listeners.append(channel)
                tlsPort = channel.localAddress?.port
            }
            if let port = configuration.mqttPlainPort {
                let channel = try await bindMQTT(host: configuration.bindHost, port: port, tls: nil, core: core)
                listeners.append(channel)
                plainPort = channel.localAddress?.port
            }
        } catch {
            for listener in listeners { try? await listener.close() }
            telemetry.finish()
            throw HubStartError("cannot listen for MQTT on \(configuration.bindHost): \(error); is another hub or broker using the port?")
        }

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
        tasks.append(Task {
            do {
                try await serviceGroup.run()
            } catch {
                runningContinuation.yield(.failure(error))
            }
            runningContinuation.finish()
        })
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
            throw HubStartError("the REST API stopped before it started")
        }
        portBox.withLock { $0 = restPort }

        let serviceHost = restPort == 443 ? configuration.hostName : "\(configuration.hostName):\(restPort)"
        let hub = HubServer(
            configuration: configuration, mqttTLSPort: tlsPort, mqttPlainPort: plainPort, restPort: restPort,
            caCertificatePEM: caPEM, caCertificateFile: caFile,
            serviceConnectionString: IoTHubConnectionString(
                hostName: serviceHost, sharedAccessKey: policyKey, sharedAccessKeyName: configuration.policyName
            ),
            core: core, listeners: listeners, metricsPort: await operatorServer?.boundPort(),
            serviceGroup: serviceGroup, backgroundTasks: tasks
        )
        try hub.writeDescription()
        logger.info("hub running", metadata: [
            "mqtts": "\(tlsPort.map(String.init) ?? "off")", "mqtt": "\(plainPort.map(String.init) ?? "off")",
            "rest": "\(configuration.restTLS ? "https" : "http")://\(configuration.bindHost):\(restPort)",
            "data": "\(directory.path)",
        ])
        return hub
    }

    /// The MQTT listeners' receive buffers: 512 bytes to start, up to 64 KiB.
    static let mqttReceiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 512, initial: 512, maximum: 64 * 1024)

    private static func bindMQTT(host: String, port: Int, tls: NIOSSLContext?, core: HubCore) async throws -> any Channel {
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

    /// `hub.json` in the data directory: how to reach this hub (read by `edgefactor hub` admin verbs).
    private func writeDescription() throws {
        let description = HubDescription(
            hostName: hostName,
            mqttTLSPort: mqttTLSPort,
            mqttPlainPort: mqttPlainPort,
            restPort: restPort,
            restScheme: configuration.restTLS ? "https" : "http",
            bindHost: configuration.bindHost,
            caCertificateFile: caCertificateFile.path,
            serviceConnectionString: serviceConnectionString.stringValue
        )
        try description.write(to: configuration.dataDirectory)
    }

    // MARK: Clients

    /// Options for a ``DeviceClient``/``ModuleClient`` of this hub: TLS with the hub's CA, or the
    /// plain loopback listener when `plainTCP` is set (and enabled).
    public func clientOptions(plainTCP: Bool = false) -> HubClientOptions {
        var options = HubClientOptions(trustRootsPEM: caCertificatePEM)
        if plainTCP, let port = mqttPlainPort {
            options.transport = .plainTCPLoopbackDevelopment
            options.port = port
            options.hostOverride = configuration.bindHost
        } else {
            options.port = mqttTLSPort
        }
        return options
    }

    /// Options for a ``ServiceClient`` of this hub (trusting its CA; plain HTTP when REST TLS is off).
    public var serviceClientOptions: ServiceClientOptions {
        var options = ServiceClientOptions(trustRootsPEM: caCertificatePEM)
        if !configuration.restTLS {
            options.baseURL = URL(string: "http://\(configuration.bindHost):\(restPort)")
        }
        return options
    }

    /// A service client authenticated with the hub's policy.
    public func serviceClient() -> ServiceClient {
        ServiceClient(connectionString: serviceConnectionString, options: serviceClientOptions)
    }

    // MARK: Registry (in-process)

    /// Registers a device (or returns the existing one) and gives its connection string.
    @discardableResult
    public func addDevice(_ deviceId: String) async throws -> IoTHubConnectionString {
        try await add(deviceId: deviceId, moduleId: nil)
    }

    /// Registers a module (creating its device if needed) and gives its connection string.
    @discardableResult
    public func addModule(deviceId: String, moduleId: String) async throws -> IoTHubConnectionString {
        if try await core.registry.identity(deviceId: deviceId, moduleId: nil) == nil {
            _ = try await add(deviceId: deviceId, moduleId: nil)
        }
        return try await add(deviceId: deviceId, moduleId: moduleId)
    }

    private func add(deviceId: String, moduleId: String?) async throws -> IoTHubConnectionString {
        if let existing = try await core.registry.identity(deviceId: deviceId, moduleId: moduleId) {
            return existing.connectionString(hostName: hostName)
        }
        let identity = try await core.registry.put(
            deviceId: deviceId, moduleId: moduleId, primaryKey: nil, secondaryKey: nil, enabled: true, ifMatch: nil
        )
        return identity.connectionString(hostName: hostName)
    }

    /// The connection string of a registered device or module, or `nil`.
    public func connectionString(deviceId: String, moduleId: String? = nil) async throws -> IoTHubConnectionString? {
        try await core.registry.identity(deviceId: deviceId, moduleId: moduleId)?.connectionString(hostName: hostName)
    }

    /// Removes a device with its modules (or one module) and closes their connections.
    public func remove(deviceId: String, moduleId: String? = nil) async throws {
        _ = try await core.registry.delete(deviceId: deviceId, moduleId: moduleId)
        core.broker.disconnect(deviceId: deviceId, moduleId: moduleId)
    }

    /// Whether the device or module has a live MQTT connection.
    public func isConnected(deviceId: String, moduleId: String? = nil) -> Bool {
        core.broker.isConnected(moduleId.map { "\(deviceId)/\($0)" } ?? deviceId)
    }

    /// Number of live MQTT connections.
    public var connectionCount: Int { core.broker.connectionCount }

    // MARK: Telemetry

    /// Stored telemetry, oldest first: after `afterId`, or the newest `limit` messages.
    public func telemetry(deviceId: String? = nil, moduleId: String? = nil, afterId: Int64? = nil, limit: Int = 100) async throws -> [StoredTelemetry] {
        try await core.telemetry.messages(deviceId: deviceId, moduleId: moduleId, afterId: afterId, limit: limit)
    }

    /// Telemetry as it is stored from now on.
    public func telemetryUpdates(deviceId: String? = nil, moduleId: String? = nil) -> AsyncStream<StoredTelemetry> {
        core.telemetry.subscribe(deviceId: deviceId, moduleId: moduleId)
    }

    // MARK: Lifecycle

    /// Stops listening, closes every connection, and finishes writing queued telemetry.
    public func shutdown() async {
        let alreadyDone = finished.withLock { $0.done }
        guard !alreadyDone else { return }
        for listener in listeners { try? await listener.close() }
        core.broker.disconnectAll()
        // End the telemetry event streams first so their HTTP responses can complete.
        core.telemetry.closeSubscribers()
        await serviceGroup.triggerGracefulShutdown()
        core.telemetry.finish()
        let tasks = backgroundTasks.withLock { $0 }
        for task in tasks { await task.value }
        if configuration.removesDataDirectoryOnShutdown {
            try? FileManager.default.removeItem(at: configuration.dataDirectory)
        }
        let waiters = finished.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once ``shutdown()`` has completed.
    public func waitUntilShutdown() async {
        await withCheckedContinuation { continuation in
            let done = finished.withLock { state -> Bool in
                if state.done { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}

/// Why the hub could not start, and what to change.
public struct HubStartError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
