public import AzureStorage
public import Foundation

/// A ``StorageServer`` that listens: where it serves, the connection strings to reach it, and
/// its metrics. Handed to `onListening` (or to the closure of ``StorageServer/withRunning(_:_:)``);
/// valid while the server runs.
public final class RunningStorageServer: Sendable {
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
    private let database: StorageDatabase
    private let metrics: StorageMetrics
    private let serving: ServingFlag

    init(
        configuration: StorageServerConfiguration, blobPort: Int, queuePort: Int, tls: StorageTLSIdentity?,
        database: StorageDatabase, metrics: StorageMetrics, metricsPort: Int?, serving: ServingFlag
    ) {
        self.configuration = configuration
        self.caCertificatePEM = tls?.caCertificatePEM
        self.caCertificateFile = tls?.caCertificateFile
        self.blobPort = blobPort
        self.queuePort = queuePort
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

    /// Inserts `count` copies of a message directly into the database in one transaction (for
    /// benchmarks that need a deep queue quickly). The queue is created if missing.
    public func preload(queue: String, account: String? = nil, count: Int, text: String) async throws {
        let name = account ?? configuration.accounts[0].name
        _ = try? await QueueStore(database: database).createQueue(account: name, name: queue, metadata: [])
        try await QueueStore(database: database).bulkInsert(account: name, queue: queue, count: count, text: text)
    }

    /// One send + receive + delete straight on the queue's database, as the three requests do it
    /// but without HTTP: the storage work of one queue cycle, for the benchmark's floor. Returns
    /// false when another caller received the message first. The queue must exist.
    package func directQueueCycle(queue: String, text: String) async throws -> Bool {
        let store = QueueStore(database: database, clock: configuration.queueClock)
        let account = configuration.accounts[0].name
        _ = try await store.send(account: account, queue: queue, text: text, visibilityTimeout: 0, timeToLive: 604_800)
        guard let received = try await store.receive(account: account, queue: queue, count: 1, visibilityTimeout: 30).first else { return false }
        try await store.delete(account: account, queue: queue, messageId: received.messageId, popReceipt: received.popReceipt)
        return true
    }
}
