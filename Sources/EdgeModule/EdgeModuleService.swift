import AzureStorage
import EdgeFactorSupport
import Foundation
import IoTHub
public import Logging
import Observability
public import ServiceLifecycle
import Synchronization
import Verification

/// The edge module as a `Service`: connects to the hub as a module, serves `ProcessRequest`,
/// applies desired properties and reports them, and reconnects with backoff whenever the hub goes
/// away. A graceful shutdown closes the hub connection (answers in progress finish first).
public struct EdgeModuleService: Service {
    private let configuration: EdgeModuleConfiguration
    private let logger: Logger
    private let metrics: ModuleMetrics
    private let running: RunningConnection
    private let health: OperatorServer?

    public init(configuration: EdgeModuleConfiguration, logger: Logger = Logger(label: "edgefactor.module")) {
        self.configuration = configuration
        self.logger = logger
        let metrics = ModuleMetrics()
        let running = RunningConnection()
        self.metrics = metrics
        self.running = running
        health = configuration.healthEndpoint.map { endpoint in
            OperatorServer(endpoint: endpoint, registry: metrics.registry, logger: logger, readiness: {
                await running.connection?.readiness() ?? Readiness([.init("hub", false), .init("queue", false)])
            })
        }
    }

    /// The module's metrics in Prometheus text format (what `/metrics` serves).
    func metricsText() -> String { metrics.registry.emitToString() }

    /// The port of `/healthz`, `/readyz` and `/metrics` once they listen (it waits while the
    /// module starts); nil without ``EdgeModuleConfiguration/healthEndpoint`` or when the port
    /// could not be bound.
    public func healthPort() async -> Int? { await health?.boundPort() }

    /// Runs until graceful shutdown; throws a configuration error (an incomplete IoT Edge
    /// environment, an unreachable workload API) at once instead of retrying it.
    public func run() async throws {
        let connection = try ModuleConnection(configuration: configuration, metrics: metrics, logger: logger)
        running.connection = connection
        defer { running.connection = nil }
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    if let health = self.health { group.addTask { await health.run() } }
                    group.addTask { await connection.deliverSettings() }
                    try await connection.run()
                    group.cancelAll()
                }
            }
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        logger.info("edge module stopped")
    }
}

/// The connection ``EdgeModuleService/run()`` is running, for `/readyz`.
final class RunningConnection: Sendable {
    private let value = Mutex<ModuleConnection?>(nil)

    var connection: ModuleConnection? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

/// The module's hub session: connect (with backoff), serve the method, sync the twin and apply
/// desired-property patches; after the first connection the client reconnects by itself.
actor ModuleConnection {
    private let configuration: EdgeModuleConfiguration
    private let logger: Logger
    private let handler: ProcessRequestHandler
    private let courier: SettingsCourier
    private let metrics: ModuleMetrics
    private var client: ModuleClient?

    init(configuration: EdgeModuleConfiguration, metrics: ModuleMetrics, logger: Logger) throws {
        let (deviceId, moduleId) = try Self.identity(configuration.hub)
        var logger = logger
        logger[metadataKey: "module"] = "\(deviceId)/\(moduleId)"
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        let settings = configuration.settings.resolved(forDevice: deviceId)
        let storage = RenewableStorageAccess(configuration.storage, grantFile: configuration.storageGrantFile)
        handler = ProcessRequestHandler(
            deviceId: deviceId, moduleId: moduleId, secret: configuration.moduleSecret, storage: storage,
            settings: settings, acceptUnsigned: configuration.acceptUnsignedRequests,
            enqueueTimeout: configuration.enqueueTimeout, onQueued: configuration.onRequestQueued, logger: logger)
        courier = SettingsCourier(
            storage: storage, deviceId: deviceId, moduleId: moduleId, secret: configuration.moduleSecret,
            initialQueue: settings.requestsQueue, logger: logger)
    }

    static func identity(_ hub: EdgeModuleConfiguration.HubIdentity) throws -> (deviceId: String, moduleId: String) {
        switch hub {
        case .connectionString(let cs, _):
            guard let deviceId = cs.deviceId, let moduleId = cs.moduleId else {
                throw EdgeModuleError.configuration("the hub connection string must name a device and a module (DeviceId=…;ModuleId=…)")
            }
            return (deviceId, moduleId)
        case .edgeEnvironment(let environment):
            return try EdgeModuleConfiguration.edgeIdentity(environment)
        }
    }

    /// Connects (retrying with backoff until the hub answers), then applies desired-property
    /// patches until cancelled. After the first connection the client reconnects by itself,
    /// re-subscribes to methods and twin updates, and replays missed desired properties.
    func run() async throws {
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(4))
        var connected: ModuleClient?
        // The first client is made outside the retry loop: a configuration error ends the module.
        var first: ModuleClient?
        do {
            first = try await makeClient()
        } catch {
            throw EdgeModuleError.configuration("\(error)")
        }
        while !Task.isCancelled, connected == nil {
            do {
                let client: ModuleClient
                if let ready = first {
                    client = ready
                    first = nil
                } else {
                    client = try await makeClient()
                }
                await client.onMethod { [handler, metrics] request in
                    let start = ContinuousClock.now
                    let response = await handler.handle(request)
                    metrics.served(request.name, status: response.status, duration: .now - start)
                    return response
                }
                try await client.connect()
                connected = client
                self.client = client
            } catch {
                guard !Task.isCancelled else { return }
                logger.warning("cannot connect to the IoT hub; retrying", metadata: ["error": "\(error)"])
                guard await backoff.sleep() else { return }
            }
        }
        guard let client = connected else { return }
        logger.info("connected to the IoT hub; serving ProcessRequest")
        await courier.attach(client)
        let updates = await client.desiredPropertyUpdates()
        backoff.reset()
        while !Task.isCancelled {
            do {
                try await syncTwin(client)
                break
            } catch {
                logger.warning("cannot read the module twin; retrying", metadata: ["error": "\(error)"])
                guard await backoff.sleep() else { return }
            }
        }
        for await patch in updates {
            await apply(patch, client: client)
        }
    }

    /// Ready while connected to the hub and the requests queue answers.
    func readiness() async -> Readiness {
        let connected = await client?.isConnected ?? false
        let queue = handler.settings.requestsQueue
        let reachable = await Self.queueAnswers(handler.storage.current, queue: queue)
        return Readiness([.init("hub", connected), .init("queue", reachable)])
    }

    /// One quick call, no retries (a probe asks again soon): a queue not created yet (404) answers
    /// too, and so does an add-only grant refused a read (Azure's permission mismatch); refused
    /// credentials do not.
    static func queueAnswers(_ access: StorageAccess, queue: String) async -> Bool {
        guard let connection = try? access.queue(queue) else { return false }
        let client = QueueClient(
            connectionString: connection, queueName: queue,
            retry: RetryPolicy(maximumAttempts: 1, attemptTimeout: .seconds(2), callTimeout: .seconds(2)))
        do {
            _ = try await client.exists()
            return true
        } catch let error as StorageError {
            return error.status == 404 || (error.status == 403 && error.code == .authorizationPermissionMismatch)
        } catch {
            return false
        }
    }

    /// Delivers the agent's settings as the twin changes them, until cancelled.
    func deliverSettings() async { await courier.run() }

    func close() async {
        if let client { await client.close() }
        client = nil
    }

    private func makeClient() async throws -> ModuleClient {
        switch configuration.hub {
        case .connectionString(let cs, let options): ModuleClient(connectionString: cs, options: options)
        case .edgeEnvironment(let environment): try await ModuleClient.fromEdgeEnvironment(environment, options: configuration.edgeOptions)
        }
    }

    /// Applies the twin's desired properties, reports the settings in force, and tells the agent
    /// the settings it must use (it may have started with other ones).
    private func syncTwin(_ client: ModuleClient) async throws {
        let twin = try await client.getTwin()
        var desired = twin.desired
        desired["$version"] = .int(Int64(twin.desiredVersion))
        await apply(desired, client: client, announceAlways: true)
        _ = try await client.updateReportedProperties(handler.settings.reportedSnapshot)
        // Only a fingerprint: `edgefactor check frontend` compares it with the agent's.
        _ = try await client.updateReportedProperties(["secret": .string(configuration.moduleSecret.fingerprint)])
    }

    private func apply(_ desired: [String: JSONValue], client: ModuleClient, announceAlways: Bool = false) async {
        var settings = handler.settings
        let before = settings
        var acks = settings.apply(desired: desired)
        if !handler.storage.current.covers(queue: settings.requestsQueue) {
            // A grant covers the device's own queue only: moving elsewhere needs a grant for it.
            acks.removeAll { $0.key == "requestsQueue" }
            acks.append(.init(
                key: "requestsQueue", value: .string(before.requestsQueue), accepted: false,
                description: "the module's storage grant does not cover queue \(settings.requestsQueue); kept \(before.requestsQueue) (issue a grant for the new queue, or give the module the account's connection string)"))
            settings.requestsQueue = before.requestsQueue
        }
        let version = desired["$version"]?.intValue
        if announceAlways || !settings.sameAgentSettings(as: before) {
            if let version {
                await courier.send(settings, revision: version)
            } else {
                logger.warning("desired properties without $version; the agent's settings are not sent")
            }
        }
        guard !acks.isEmpty else { return }
        handler.update(settings)
        for ack in acks {
            logger.info("desired property", metadata: ["key": "\(ack.key)", "applied": "\(ack.accepted)", "detail": "\(ack.description)"])
        }
        do {
            _ = try await client.updateReportedProperties(ModuleSettings.reportedPatch(acks, version: version))
        } catch {
            logger.warning("cannot report applied settings", metadata: ["error": "\(error)"])
        }
    }
}
