public import Foundation

/// Access to a few named queues and containers of one storage account, and nothing else: one
/// service SAS per resource, all ending at ``expiresOn``. This is what an edge box holds instead
/// of the account key, so that it can reach its own requests queue and results container but no
/// other device's (see ``StorageAccess``).
///
/// Issued with the account key by whoever holds it (``issue(from:queues:containers:expiresOn:)``),
/// and renewed by them before it expires. Its JSON form is what is stored and sent.
public struct StorageGrant: Codable, Sendable, Hashable {
    public var accountName: String
    public var blobEndpoint: URL
    public var queueEndpoint: URL
    /// When every SAS of the grant stops working.
    public var expiresOn: Date
    /// SAS token (query string without `?`) by queue name.
    public var queues: [String: String]
    /// SAS token (query string without `?`, `sr=c`) by container name.
    public var containers: [String: String]

    public init(accountName: String, blobEndpoint: URL, queueEndpoint: URL, expiresOn: Date, queues: [String: String], containers: [String: String]) {
        self.accountName = accountName
        self.blobEndpoint = blobEndpoint
        self.queueEndpoint = queueEndpoint
        self.expiresOn = expiresOn
        self.queues = queues
        self.containers = containers
    }

    /// Largest encoded grant accepted (a handful of resources).
    public static let maximumEncodedSize = 16 * 1024
    /// Most resources in one grant.
    public static let maximumResources = 8

    /// Signs one SAS per resource with the account key of `account`; with `policy`, each is bound
    /// to that stored access policy on its resource (which must exist, holding no fields), so that
    /// removing the policies revokes the grant before it ends.
    /// - Throws: ``StorageConfigurationError`` if `account` has no account key.
    public static func issue(
        from account: StorageConnectionString, queues: [String: QueueSASPermissions], containers: [String: BlobSASPermissions], expiresOn: Date,
        policy: String? = nil
    ) throws(StorageConfigurationError) -> StorageGrant {
        guard account.sharedKey != nil else {
            throw StorageConfigurationError("issuing a storage grant needs the account key: use a connection string with AccountName and AccountKey.")
        }
        // Whole seconds: what a SAS's `se` and the grant's JSON can say.
        let expiresOn = Date(timeIntervalSince1970: expiresOn.timeIntervalSince1970.rounded(.down))
        var queueTokens: [String: String] = [:]
        for (name, permissions) in queues {
            queueTokens[name] = try QueueClient(connectionString: account, queueName: name).sasToken(permissions: permissions, expiresOn: expiresOn, policy: policy)
        }
        var containerTokens: [String: String] = [:]
        for (name, permissions) in containers {
            containerTokens[name] = try BlobContainerClient(connectionString: account, containerName: name).sasToken(permissions: permissions, expiresOn: expiresOn, policy: policy)
        }
        return StorageGrant(
            accountName: account.accountName, blobEndpoint: account.blobEndpoint, queueEndpoint: account.queueEndpoint,
            expiresOn: expiresOn, queues: queueTokens, containers: containerTokens)
    }

    /// The connection string that reaches queue `name` with its SAS, or nil if the grant has none for it.
    public func queue(_ name: String) -> StorageConnectionString? {
        queues[name].map { connection(sas: $0) }
    }

    /// The connection string that reaches container `name` with its SAS, or nil if the grant has none for it.
    public func container(_ name: String) -> StorageConnectionString? {
        containers[name].map { connection(sas: $0) }
    }

    private func connection(sas: String) -> StorageConnectionString {
        StorageConnectionString(accountName: accountName, blobEndpoint: blobEndpoint, queueEndpoint: queueEndpoint, credential: .sharedAccessSignature(sas))
    }

    // MARK: Encoding

    /// The grant as JSON (sorted keys, ISO 8601 dates).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    /// Parses and checks a grant: bounded size and resource count, http(s) endpoints without
    /// query, valid names, tokens that carry a signature and nothing that could break a URL.
    public static func decode(_ data: Data) throws(StorageConfigurationError) -> StorageGrant {
        guard data.count <= maximumEncodedSize else {
            throw StorageConfigurationError("the storage grant is \(data.count) bytes, more than \(maximumEncodedSize): check that the right file was passed.")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let grant: StorageGrant
        do { grant = try decoder.decode(StorageGrant.self, from: data) } catch {
            throw StorageConfigurationError("the storage grant is not valid JSON of a grant (\(error)); issue a new one with `edgefactor storage grant`.")
        }
        try grant.validate()
        return grant
    }

    func validate() throws(StorageConfigurationError) {
        guard StorageConnectionString.isPlausibleAccountName(accountName) else {
            throw StorageConfigurationError("the storage grant names no valid account.")
        }
        for endpoint in [blobEndpoint, queueEndpoint] {
            guard let scheme = endpoint.scheme?.lowercased(), scheme == "http" || scheme == "https", endpoint.host?.isEmpty == false, endpoint.query == nil else {
                throw StorageConfigurationError("the storage grant's endpoint \(endpoint.absoluteString.prefix(200)) is not an http(s) URL.")
            }
        }
        guard queues.count + containers.count <= Self.maximumResources else {
            throw StorageConfigurationError("the storage grant names more than \(Self.maximumResources) resources.")
        }
        for (name, token) in queues.merging(containers, uniquingKeysWith: { first, _ in first }) {
            guard Self.isResourceName(name) else {
                throw StorageConfigurationError("the storage grant names '\(name.prefix(63))', which is not a queue or container name.")
            }
            guard token.utf8.count <= 1024, token.contains("sig="), token.utf8.allSatisfy(Self.isTokenByte) else {
                throw StorageConfigurationError("the storage grant's SAS for '\(name)' is not a SAS token.")
            }
        }
    }

    /// Azure's queue and container naming rule: 3–63 lower-case letters, digits and single hyphens.
    static func isResourceName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else { return false }
        var previous: UInt8 = 0
        for byte in bytes {
            let allowed = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
            guard allowed, !(byte == UInt8(ascii: "-") && previous == byte) else { return false }
            previous = byte
        }
        return true
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "="), UInt8(ascii: "&"), UInt8(ascii: "%"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"): true
        default: false
        }
    }
}
