public import Foundation

/// How an application reaches its queues and containers: with the account's connection string
/// (any resource, created on first use), or with a ``StorageGrant`` (only the resources it names,
/// which whoever issued the grant has created).
public enum StorageAccess: Sendable, Hashable, CustomStringConvertible {
    case account(StorageConnectionString)
    case grant(StorageGrant)

    /// The connection string for queue `name`.
    /// - Throws: ``StorageConfigurationError`` when a grant does not cover the queue.
    public func queue(_ name: String) throws(StorageConfigurationError) -> StorageConnectionString {
        switch self {
        case .account(let connection): return connection
        case .grant(let grant):
            guard let connection = grant.queue(name) else { throw Self.notCovered("queue", name, grant) }
            return connection
        }
    }

    /// The connection string for container `name`.
    /// - Throws: ``StorageConfigurationError`` when a grant does not cover the container.
    public func container(_ name: String) throws(StorageConfigurationError) -> StorageConnectionString {
        switch self {
        case .account(let connection): return connection
        case .grant(let grant):
            guard let connection = grant.container(name) else { throw Self.notCovered("container", name, grant) }
            return connection
        }
    }

    /// Whether queue `name` can be reached.
    public func covers(queue name: String) -> Bool { (try? queue(name)) != nil }

    /// Whether container `name` can be reached.
    public func covers(container name: String) -> Bool { (try? container(name)) != nil }

    /// Whether the application creates its queues and containers itself: a grant's SAS cannot.
    public var createsResources: Bool {
        if case .account = self { return true }
        return false
    }

    /// When access ends (a grant's expiry); nil for the account's key.
    public var expiresOn: Date? {
        if case .grant(let grant) = self { return grant.expiresOn }
        return nil
    }

    /// The queue endpoint of the account in use.
    public var queueEndpoint: URL {
        switch self {
        case .account(let connection): connection.queueEndpoint
        case .grant(let grant): grant.queueEndpoint
        }
    }

    /// The kind of credentials, for messages: "account key", or the grant and its end.
    public var credentials: String {
        expiresOn.map { "grant until \(StorageDate.iso8601($0))" } ?? "account key"
    }

    public var description: String {
        switch self {
        case .account(let connection): connection.description
        case .grant(let grant):
            "storage grant for account \(grant.accountName) (queues \(grant.queues.keys.sorted().joined(separator: ", ")); containers \(grant.containers.keys.sorted().joined(separator: ", ")); until \(StorageDate.iso8601(grant.expiresOn)))"
        }
    }

    private static func notCovered(_ kind: String, _ name: String, _ grant: StorageGrant) -> StorageConfigurationError {
        StorageConfigurationError(
            "the storage grant does not cover \(kind) \(name.prefix(63)) (it covers queues \(grant.queues.keys.sorted().joined(separator: ", ")) and containers \(grant.containers.keys.sorted().joined(separator: ", "))): issue one that does with `edgefactor storage grant`, or give the account's connection string."
        )
    }
}
