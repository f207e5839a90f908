public import AzureStorage
public import Foundation
public import Verification

/// What each part of an edge box may do in storage, and nothing more: the module may add to the
/// device's requests queue; the agent may take, update and delete messages there, add to its
/// dead-letter queue, and read and write blobs in its own results container. Issued with the
/// account key by whoever holds it (the front-end, `edgefactor storage grant`).
public enum DeviceStorageGrants {
    /// The grants of `deviceId`'s module and agent, valid until `now + lifetime`.
    /// - Throws: ``StorageConfigurationError`` if `account` has no account key.
    public static func issue(
        for deviceId: String, account: StorageConnectionString, lifetime: Duration, now: Date = Date()
    ) throws(StorageConfigurationError) -> (module: StorageGrant, agent: StorageGrant) {
        let names = DeviceStorageNames(deviceId: deviceId)
        let expiresOn = now.addingTimeInterval(Double(lifetime.components.seconds))
        let module = try StorageGrant.issue(from: account, queues: [names.requestsQueue: [.add]], containers: [:], expiresOn: expiresOn)
        let agent = try StorageGrant.issue(
            from: account,
            queues: [names.requestsQueue: [.read, .update, .process], names.deadLetterQueue: [.add]],
            containers: [names.responsesContainer: [.read, .create, .write]],
            expiresOn: expiresOn)
        return (module, agent)
    }

    /// Creates `deviceId`'s queues and container: a grant's SAS cannot create them.
    public static func prepare(for deviceId: String, account: StorageConnectionString) async throws {
        let names = DeviceStorageNames(deviceId: deviceId)
        for queue in [names.requestsQueue, names.deadLetterQueue] {
            try await QueueClient(connectionString: account, queueName: queue).create()
        }
        try await BlobContainerClient(connectionString: account, containerName: names.responsesContainer).create()
    }
}
