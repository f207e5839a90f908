import AzureStorage
import Foundation
import Hummingbird
import ListenerSafety
import Logging
import NIOCore
import Observability
import PrivateFiles
public import ServiceLifecycle
import Synchronization

/// The built-in Azure-compatible storage service (Blob and Queue REST, path-style URLs), as a
/// ServiceLifecycle service: put it in a `ServiceGroup`, or run it for the length of a closure:
///
/// ```swift
/// try await StorageServer.withRunning(.init(dataDirectory: dir, blobPort: 0, queuePort: 0)) { server in
///     let queue = QueueClient(connectionString: server.storageConnectionString, queueName: "jobs")
///     …
/// }
/// ```
public struct StorageServer: Service {
    /// The configuration it runs with.
    public let configuration: StorageServerConfiguration
    private let onListening: @Sendable (RunningStorageServer) async -> Void

    /// - Parameters:
    ///   - configuration: where it keeps its data, where it listens, its accounts and limits.
    ///   - onListening: called once both endpoints listen, with where they are (ports asked as 0
    ///     are resolved).
    public init(
        configuration: StorageServerConfiguration,
        onListening: @escaping @Sendable (RunningStorageServer) async -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.onListening = onListening
    }

    /// Runs a server while `body` runs, then shuts it down gracefully and waits for it.
    /// - Throws: ``StorageServerError`` if it cannot start, or what `body` throws.
    public static func withRunning<Result>(
        _ configuration: StorageServerConfiguration, _ body: (RunningStorageServer) async throws -> Result
    ) async throws -> Result {
        try await ScopedService.withRunning(logger: configuration.logger, { StorageServer(configuration: configuration, onListening: $0) }, body)
    }

    /// Opens the data directory, binds both endpoints, reports them through `onListening`, and
    /// serves until graceful shutdown (requests running then get
    /// ``StorageServerConfiguration/shutdownGracePeriod`` to finish); then closes the database.
    /// - Throws: ``StorageServerError`` if the data directory or a port cannot be used.
    public func run() async throws {
        let configuration = self.configuration
        let logger = configuration.logger
        let developmentKey = configuration.accounts.contains { $0.keys.contains(StorageConnectionString.developmentAccountKey) }
        let exposed: String? = switch (configuration.tls != nil, developmentKey) {
        case (false, true): "the plain-HTTP storage service with the well-known development account key"
        case (false, false): "the plain-HTTP storage service"
        case (true, true): "the storage service with the well-known development account key"
        case (true, false): nil
        }
        if let exposed, let refusal = BindPolicy.refusal(host: configuration.host, exposing: exposed, allowed: configuration.allowInsecureRemote) {
            throw StorageServerError(refusal)
        }
        if let endpoint = configuration.metricsEndpoint,
           let refusal = endpoint.refusal(allowRemote: configuration.allowInsecureRemote, option: "--metrics-address") {
            throw StorageServerError(refusal)
        }
        let directory = URL(fileURLWithPath: configuration.dataDirectory).standardizedFileURL.path
        let tls = try configuration.tls.map { tls throws(StorageServerError) in
            try StorageTLSIdentity.load(tls, hostName: configuration.hostName ?? configuration.host, dataDirectory: directory)
        }
        let database: StorageDatabase
        let files: BlobFiles
        do {
            try PrivateFiles.createDirectory(directory)
            try PrivateFiles.prepareDatabase(at: directory + "/storage.sqlite")
            database = try StorageDatabase(path: directory + "/storage.sqlite")
            files = try BlobFiles(directory: directory + "/blobs")
        } catch {
            throw StorageServerError("cannot open the data directory \(directory): \(error). Check that it is writable, or pass another with --data-dir.")
        }
        let policies = AccessPolicyStore(database: database)
        let core = StorageServiceCore(
            queues: QueueStore(database: database, clock: configuration.queueClock),
            blobs: BlobStore(database: database),
            policies: policies,
            files: files,
            authenticator: RequestAuthenticator(accounts: configuration.accounts, maximumClockSkew: configuration.maximumClockSkew, policies: policies),
            configuration: configuration,
            logger: logger
        )
        let blockLifetime = UncommittedBlockLimits(configuration: configuration).lifetimeMs
        _ = try await core.blobs.sweepExpiredBlocks(lifetimeMs: blockLifetime)
        let removed = files.collectGarbage(referenced: try await core.blobs.referencedFiles())
        if removed > 0 { logger.info("removed \(removed) unreferenced blob files") }
        try await core.queues.sweepExpired()

        let metrics = StorageMetrics()
        let accessLog = configuration.accessLog ? AccessLog(logger: logger) : nil
        let (ports, portsContinuation) = AsyncStream.makeStream(of: (StorageResponder.Service, Int).self)
        func application(_ service: StorageResponder.Service, port: Int) -> some Service {
            var appLogger = logger
            appLogger[metadataKey: "endpoint"] = "\(service)"
            // Hummingbird reports cut keep-alive connections at shutdown as errors; request
            // failures are logged by the responder, so its own log is only wanted when debugging.
            if logger.logLevel > .debug { appLogger.logLevel = .critical }
            let limits = configuration.listenerLimits
            return Application(
                responder: ObservedResponder(inner: StorageResponder(service: service, core: core), metrics: metrics.requests, accessLog: accessLog),
                server: tls?.server(limits: limits) ?? limits.http1,
                configuration: limits.applicationConfiguration(address: .hostname(configuration.host, port: port), logger: appLogger),
                onServerRunning: { channel in
                    portsContinuation.yield((service, channel.localAddress?.port ?? port))
                },
                logger: appLogger
            )
        }
        let sweeper = ExpiredMessageSweeper(
            queues: core.queues, blobs: core.blobs, files: files, blockLifetimeMs: blockLifetime,
            interval: configuration.expiredMessageSweepInterval, logger: logger
        )
        let serving = ServingFlag()
        let operatorServer = configuration.metricsEndpoint.map { endpoint in
            OperatorServer(endpoint: endpoint, registry: metrics.registry, logger: logger, readiness: { [database] in
                Readiness([.init("listening", serving.isServing), .init("database", await database.isOpen())])
            })
        }
        var services: [any Service] = [application(.blob, port: configuration.blobPort), application(.queue, port: configuration.queuePort), sweeper]
        if let operatorServer { services.append(OperatorService(operatorServer)) }
        var groupConfiguration = ServiceGroupConfiguration(services: services, logger: logger)
        // Idle keep-alive connections would otherwise hold the shutdown open.
        groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownGracePeriod
        let group = ServiceGroup(configuration: groupConfiguration)
        defer { database.close() }
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { children in
                children.addTask {
                    defer { portsContinuation.finish() }
                    try await group.run()
                }
                var blobPort: Int?
                var queuePort: Int?
                for await (service, port) in ports {
                    switch service {
                    case .blob: blobPort = port
                    case .queue: queuePort = port
                    }
                    if blobPort != nil, queuePort != nil { break }
                }
                guard let blobPort, let queuePort else {
                    let reason: String
                    do {
                        try await children.waitForAll()
                        reason = "the service stopped during start-up"
                    } catch {
                        reason = "\(error)"
                    }
                    throw StorageServerError(
                        "cannot listen on \(configuration.host) ports \(configuration.blobPort)/\(configuration.queuePort): \(reason). Is another storage service (Azurite?) running? Choose other ports with --blob-port/--queue-port."
                    )
                }
                logger.info("storage service listening", metadata: [
                    "blob": "\(blobPort)", "queue": "\(queuePort)", "scheme": "\(tls == nil ? "http" : "https")", "data": "\(directory)",
                ])
                await onListening(RunningStorageServer(
                    configuration: configuration, blobPort: blobPort, queuePort: queuePort, tls: tls, database: database,
                    metrics: metrics, metricsPort: await operatorServer?.boundPort(), serving: serving))
                try await children.waitForAll()
            }
        } onGracefulShutdown: {
            serving.stop()
        }
    }
}

/// Whether a server still serves (false from the start of its stop), for `/readyz`.
final class ServingFlag: Sendable {
    private let stopped = Mutex(false)
    var isServing: Bool { !stopped.withLock { $0 } }
    func stop() { stopped.withLock { $0 = true } }
}

/// The storage service could not start; the message says why and what to do.
public struct StorageServerError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Deletes expired messages, and uncommitted blocks past their lifetime, periodically.
struct ExpiredMessageSweeper: Service {
    let queues: QueueStore
    let blobs: BlobStore
    let files: BlobFiles
    let blockLifetimeMs: Int64
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            if Task.isShuttingDownGracefully { return }
            do {
                let removed = try await queues.sweepExpired()
                if removed > 0 { logger.debug("deleted \(removed) expired messages") }
            } catch {
                logger.warning("sweeping expired messages failed: \(error)")
            }
            do {
                let expired = try await blobs.sweepExpiredBlocks(lifetimeMs: blockLifetimeMs)
                files.remove(expired)
                if !expired.isEmpty { logger.debug("deleted \(expired.count) expired uncommitted blocks") }
            } catch {
                logger.warning("sweeping expired uncommitted blocks failed: \(error)")
            }
        }
    }
}
