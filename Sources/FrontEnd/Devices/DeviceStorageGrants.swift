public import AzureStorage
public import Foundation
import Verification

/// What each part of an edge box may do in storage, and nothing more: the module may add to the
/// device's requests queue; the agent may take, update and delete messages there, add to its
/// dead-letter queue, and read and write blobs in its own results container. Issued with the
/// account key by whoever holds it (the front-end, `edgefactor secrets grant`).
///
/// Every grant of a device is bound to one stored access policy (`grant-…`, holding no fields) on
/// each of its queues and its container: ``revoke(for:account:)`` removes it, and every SAS the
/// device holds stops at once, without rotating the account key.
public enum DeviceStorageGrants {
    /// The prefix of the device's grant policy ids.
    static let policyPrefix = "grant-"

    /// The grants of `deviceId`'s module and agent, valid until `now + lifetime`, bound to `policy`.
    /// - Throws: ``StorageConfigurationError`` if `account` has no account key.
    public static func issue(
        for deviceId: String, account: StorageConnectionString, lifetime: Duration, policy: String?, now: Date = Date()
    ) throws(StorageConfigurationError) -> (module: StorageGrant, agent: StorageGrant) {
        let names = DeviceStorageNames(deviceId: deviceId)
        let expiresOn = now.addingTimeInterval(Double(lifetime.components.seconds))
        let module = try StorageGrant.issue(from: account, queues: [names.requestsQueue: [.add]], containers: [:], expiresOn: expiresOn, policy: policy)
        let agent = try StorageGrant.issue(
            from: account,
            queues: [names.requestsQueue: [.read, .update, .process], names.deadLetterQueue: [.add]],
            containers: [names.responsesContainer: [.read, .create, .write]],
            expiresOn: expiresOn, policy: policy)
        return (module, agent)
    }

    /// Creates `deviceId`'s queues and container (a grant's SAS cannot) and gives each the device's
    /// grant policy, keeping the one in place; returns its id.
    public static func prepare(for deviceId: String, account: StorageConnectionString) async throws -> String {
        let names = DeviceStorageNames(deviceId: deviceId)
        let queues = [names.requestsQueue, names.deadLetterQueue].map { QueueClient(connectionString: account, queueName: $0) }
        let container = BlobContainerClient(connectionString: account, containerName: names.responsesContainer)
        for queue in queues { try await queue.create() }
        try await container.create()
        let existing = try await queues[0].accessPolicies().first { $0.id.hasPrefix(policyPrefix) }?.id
        let policy = existing ?? policyPrefix + RandomPolicyId.make()
        for queue in queues { try await ensure(policy, in: try await queue.accessPolicies()) { try await queue.setAccessPolicies($0) } }
        try await ensure(policy, in: try await container.accessPolicies()) { try await container.setAccessPolicies($0) }
        return policy
    }

    /// Removes the device's grant policies: every SAS of its module and agent stops working now.
    /// The next ``prepare(for:account:)`` makes a new policy, for new grants.
    public static func revoke(for deviceId: String, account: StorageConnectionString) async throws {
        let names = DeviceStorageNames(deviceId: deviceId)
        for queue in [names.requestsQueue, names.deadLetterQueue].map({ QueueClient(connectionString: account, queueName: $0) }) {
            let kept = try await queue.accessPolicies().filter { !$0.id.hasPrefix(policyPrefix) }
            try await queue.setAccessPolicies(kept)
        }
        let container = BlobContainerClient(connectionString: account, containerName: names.responsesContainer)
        try await container.setAccessPolicies(try await container.accessPolicies().filter { !$0.id.hasPrefix(policyPrefix) })
    }

    private static func ensure(_ policy: String, in current: [StoredAccessPolicy], set: ([StoredAccessPolicy]) async throws -> Void) async throws {
        guard !current.contains(where: { $0.id == policy }) else { return }
        // A stale grant policy (one a revocation left behind elsewhere) gives way to the current one.
        let others = current.filter { !$0.id.hasPrefix(policyPrefix) }
        try await set(others + [StoredAccessPolicy(id: policy)])
    }
}

private enum RandomPolicyId {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
