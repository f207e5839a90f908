public import AzureStorage
public import Foundation
import Hummingbird
import ListenerSafety
import Logging
import NIOCore
import Observability
import PrivateFiles
import ServiceLifecycle
import Synchronization

/// The built-in Azure-compatible storage service (Blob and Queue REST, path-style URLs),
/// embeddable in-process:
///
/// ```swift
/// let server = try await StorageServer.start(.init(dataDirectory: dir, blobPort: 0, queuePort: 0))
/// let queue = QueueClient(connectionString: server.storageConnectionString, queueName: "jobs")
/// …
/// await server.stop()
/// ```
public final class StorageServer: Sendable {
    /// Port the Blob endpoint listens on (resolved when 0 was asked for).
    public let blobPort: Int
    /// Port the Queue endpoint listens on.
    public let queuePort: Int
    /// The configuration it runs with.
    public let configuration: StorageServerConfiguration
    /// PEM text of the CA that clients must trust when it serves HTTPS (the development CA, or
    /// the chain given); nil for plain HTTP.
    public let caCertificatePEM: String?
    /// The development CA's `ca.pem` (for `--storage-ca-file`, `connection_verify`,
    /// `REQUESTS_CA_BUNDLE`); nil for plain HTTP or a chain given as files.
    public let caCertificateFile: URL?
    /// Port of `/healthz`, `/readyz` and `/metrics` (``StorageServerConfiguration/metricsEndpoint``);
    /// nil without one, or when its port could not be bound.
    public let metricsPort: Int?
    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    private let database: StorageDatabase
    private let metrics: StorageMetrics
    private let serving: ServingFlag

    private init(
        configuration: StorageServerConfiguration, blobPort: Int, queuePort: Int, tls: StorageTLSIdentity?,
        group: ServiceGroup, task: Task<Void, any Error>, database: StorageDatabase,
        metrics: StorageMetrics, metricsPort: Int?, serving: ServingFlag
    ) {
        self.configuration = configuration
        self.caCertificatePEM = tls?.caCertificatePEM
        self.caCertificateFile = tls?.caCertificateFile
        self.blobPort = blobPort
        self.queuePort = queuePort
        self.group = group
        self.task = task
        self.database = database
        self.metrics = metrics
        self.metricsPort = metricsPort
        self.serving = serving
    }

    /// The server's metrics in Prometheus text format (what `/metrics` serves).
    public func metricsText() -> String { metrics.registry.emitToString() }

    /// `http(s)://{host}:{blobPort}/{account}` for the first account (https when it serves TLS).
    public var blobEndpoint: URL { endpoint(port: blobPort, account: configuration.accounts[0].name) }
    /// `http(s)://{host}:{queuePort}/{account}` for the first account.
    public var queueEndpoint: URL { endpoint(port: queuePort, account: configuration.accounts[0].name) }

    /// A connection string for the first account, in the explicit form all Azure SDKs accept.
    /// Contains the account key.
    public var connectionString: String { storageConnectionString.connectionString }

    /// The first account's connection string, parsed.
    public var storageConnectionString: StorageConnectionString {
        connection(for: configuration.accounts[0])
    }

    /// The connection string of one configured account.
    public func connection(for account: StorageAccount) -> StorageConnectionString {
        let credential: StorageConnectionString.Credential = account.credentials.first.map { .sharedKey($0) } ?? .anonymous
        return StorageConnectionString(
            accountName: account.name,
            blobEndpoint: endpoint(port: blobPort, account: account.name),
            queueEndpoint: endpoint(port: queuePort, account: account.name),
            credential: credential
        )
    }

    private func endpoint(port: Int, account: String) -> URL {
        let name = configuration.hostName ?? configuration.host
        let host = name.contains(":") ? "[\(name)]" : name
        let scheme = configuration.tls == nil ? "http" : "https"
        return URL(string: "\(scheme)://\(host):\(port)/\(account)") ?? URL(fileURLWithPath: "/")
    }

    /// Opens the data directory, binds both endpoints and starts serving.
    /// - Throws: ``StorageServerError`` if the data directory or a port cannot be used.
    public static func start(_ configuration: StorageServerConfiguration) async throws -> StorageServer {
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
            queues: QueueStore(database: database),
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
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        let task = Task {
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
                try await task.value
                reason = "the service stopped during start-up"
            } catch {
                reason = "\(error)"
            }
            database.close()
            throw StorageServerError(
                "cannot listen on \(configuration.host) ports \(configuration.blobPort)/\(configuration.queuePort): \(reason). Is another storage service (Azurite?) running? Choose other ports with --blob-port/--queue-port."
            )
        }
        logger.info("storage service listening", metadata: [
            "blob": "\(blobPort)", "queue": "\(queuePort)", "scheme": "\(tls == nil ? "http" : "https")", "data": "\(directory)",
        ])
        return StorageServer(
            configuration: configuration, blobPort: blobPort, queuePort: queuePort, tls: tls, group: group, task: task, database: database,
            metrics: metrics, metricsPort: await operatorServer?.boundPort(), serving: serving)
    }

    /// Stops accepting requests, gives running ones up to `gracePeriod` to finish (idle
    /// keep-alive connections would otherwise hold the shutdown open), and closes the database.
    public func stop(gracePeriod: Duration = .seconds(1)) async {
        serving.stop()
        await group.triggerGracefulShutdown()
        let task = self.task
        await withTaskGroup(of: Bool.self) { waiters in
            waiters.addTask {
                _ = try? await task.value
                return true
            }
            waiters.addTask {
                try? await Task.sleep(for: gracePeriod)
                return false
            }
            if await waiters.next() == false { task.cancel() }
            waiters.cancelAll()
        }
        _ = try? await task.value
        database.close()
    }

    /// Waits until the service stops (after ``stop()``, or if serving fails).
    public func waitUntilStopped() async throws {
        try await task.value
    }

    /// Inserts `count` copies of a message directly into the database in one transaction (for
    /// benchmarks that need a deep queue quickly). The queue is created if missing.
    public func preload(queue: String, account: String? = nil, count: Int, text: String) async throws {
        let name = account ?? configuration.accounts[0].name
        _ = try? await QueueStore(database: database).createQueue(account: name, name: queue, metadata: [])
        try await QueueStore(database: database).bulkInsert(account: name, queue: queue, count: count, text: text)
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
