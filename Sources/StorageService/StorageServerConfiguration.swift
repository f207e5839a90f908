public import AzureStorage
package import EdgeFactorSupport
public import ListenerSafety
public import Logging
public import Observability

/// A storage account the built-in service accepts: a name and one or two base64 keys.
public struct StorageAccount: Sendable, Hashable {
    public var name: String
    /// Base64 keys; requests signed with any of them are accepted (key rotation).
    public var keys: [String]
    let credentials: [StorageSharedKeyCredential]

    /// - Throws: ``StorageConfigurationError`` for an invalid name or a key that is not base64.
    public init(name: String, keys: [String]) throws(StorageConfigurationError) {
        guard (3...24).contains(name.utf8.count), name.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) }) else {
            throw StorageConfigurationError("account name '\(name)' must be 3–24 lower-case letters and digits.")
        }
        guard !keys.isEmpty else { throw StorageConfigurationError("account '\(name)' needs at least one key.") }
        var credentials: [StorageSharedKeyCredential] = []
        for key in keys { credentials.append(try StorageSharedKeyCredential(accountName: name, accountKey: key)) }
        self.name = name
        self.keys = keys
        self.credentials = credentials
    }

    /// Parses `name:key[:key2]` (the `--account` option's form).
    public init(parsing text: String) throws(StorageConfigurationError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts.count <= 3 else {
            throw StorageConfigurationError("'--account' takes name:key or name:key1:key2 (keys are base64).")
        }
        try self.init(name: parts[0], keys: Array(parts[1...]))
    }

    /// The emulators' well-known development account (`devstoreaccount1`).
    public static var development: StorageAccount {
        // The constant is valid; `try?` only satisfies the no-force-unwrap rule.
        (try? StorageAccount(name: StorageConnectionString.developmentAccountName, keys: [StorageConnectionString.developmentAccountKey]))
            ?? StorageAccount(unchecked: StorageConnectionString.developmentAccountName)
    }

    private init(unchecked name: String) {
        self.name = name
        self.keys = []
        self.credentials = []
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.name == rhs.name && lhs.keys == rhs.keys }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

/// Settings of the built-in storage service.
public struct StorageServerConfiguration: Sendable {
    /// Directory for the SQLite database and blob files; created if missing.
    public var dataDirectory: String
    /// Address to listen on. Without ``tls`` only loopback addresses are sensible.
    public var host: String
    /// The host name in the endpoints and connection strings, and in the development
    /// certificate; `nil` uses ``host``.
    public var hostName: String?
    /// Serve HTTPS with this certificate; `nil` serves plain HTTP.
    public var tls: StorageTLS?
    /// Blob endpoint port (0 = any free port).
    public var blobPort: Int
    /// Queue endpoint port (0 = any free port).
    public var queuePort: Int
    /// Accepted accounts; the first one is used for ``StorageServer/connectionString``.
    public var accounts: [StorageAccount]
    /// Largest blob accepted, in bytes.
    public var maximumBlobSize: Int
    /// Largest single request body for Put Blob and Put Block, in bytes.
    public var maximumRequestBodySize: Int
    /// How often expired messages (and uncommitted blocks past their lifetime) are deleted.
    public var expiredMessageSweepInterval: Duration
    /// How long uncommitted blocks live after their blob's last Put Block (Azure: 7 days).
    public var uncommittedBlockLifetime: Duration
    /// Bytes of uncommitted blocks the whole service holds at most (4 GiB by default); one blob
    /// holds at most ``maximumBlobSize``.
    public var maximumUncommittedBytes: Int
    /// Largest clock difference accepted in `x-ms-date` (Azure: 15 minutes).
    public var maximumClockSkew: Duration
    /// Header, body and idle timeouts and the connection bound of each endpoint.
    public var listenerLimits: ListenerLimits
    /// Serve on a non-loopback ``host`` although the service speaks plain HTTP or accepts the
    /// well-known development key. Off: such a host is refused at start (with ``tls`` and
    /// accounts of your own, any host is served).
    public var allowInsecureRemote: Bool
    /// Serve `/healthz`, `/readyz` and `/metrics` here (plain HTTP; off loopback only with
    /// ``allowInsecureRemote``); nil for none. `edgefactor storage` uses 127.0.0.1:9470.
    public var metricsEndpoint: OperatorEndpoint? = nil
    /// Write one access-log line per request at `info` to ``logger`` (never the query string).
    public var accessLog = false
    /// How long requests still running at a graceful shutdown get before they are cut (idle
    /// keep-alive connections would otherwise hold the shutdown open).
    public var shutdownGracePeriod: Duration = .seconds(1)
    /// What queue visibility timeouts and time-to-live are measured against (tests move a
    /// manual clock instead of sleeping).
    package var queueClock: any WallClock = SystemWallClock()
    public var logger: Logger

    public init(
        dataDirectory: String,
        host: String = "127.0.0.1",
        blobPort: Int = 10000,
        queuePort: Int = 10001,
        accounts: [StorageAccount] = [.development],
        maximumBlobSize: Int = 1024 * 1024 * 1024,
        maximumRequestBodySize: Int = 256 * 1024 * 1024,
        expiredMessageSweepInterval: Duration = .seconds(30),
        uncommittedBlockLifetime: Duration = .seconds(7 * 86_400),
        maximumUncommittedBytes: Int = 4 * 1024 * 1024 * 1024,
        maximumClockSkew: Duration = .seconds(15 * 60),
        listenerLimits: ListenerLimits = ListenerLimits(),
        allowInsecureRemote: Bool = false,
        hostName: String? = nil,
        tls: StorageTLS? = nil,
        logger: Logger = Logger(label: "edgefactor.storage")
    ) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.hostName = hostName
        self.tls = tls
        self.blobPort = blobPort
        self.queuePort = queuePort
        self.accounts = accounts.isEmpty ? [.development] : accounts
        self.maximumBlobSize = maximumBlobSize
        self.maximumRequestBodySize = maximumRequestBodySize
        self.expiredMessageSweepInterval = expiredMessageSweepInterval
        self.uncommittedBlockLifetime = uncommittedBlockLifetime
        self.maximumUncommittedBytes = maximumUncommittedBytes
        self.maximumClockSkew = maximumClockSkew
        self.listenerLimits = listenerLimits
        self.allowInsecureRemote = allowInsecureRemote
        self.logger = logger
    }
}
