import AzureStorage
import Foundation
import GRDB

/// Stored access policies (container and queue ACLs) in the database: a JSON array in the
/// container's or queue's row, so that they go when it is deleted.
struct AccessPolicyStore: Sendable {
    let database: StorageDatabase
    private var pool: DatabasePool { database.pool }

    /// One policy as stored: times as seconds since 1970.
    private struct Row: Codable {
        var id: String
        var permissions: String?
        var start: Double?
        var expiry: Double?
    }

    static func encode(_ policies: [StoredAccessPolicy]) -> String {
        let rows = policies.map {
            Row(id: $0.id, permissions: $0.permissions, start: $0.startsOn?.timeIntervalSince1970, expiry: $0.expiresOn?.timeIntervalSince1970)
        }
        guard let data = try? JSONEncoder().encode(rows) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String) -> [StoredAccessPolicy] {
        guard let rows = try? JSONDecoder().decode([Row].self, from: Data(text.utf8)) else { return [] }
        return rows.map {
            StoredAccessPolicy(
                id: $0.id, permissions: $0.permissions,
                startsOn: $0.start.map(Date.init(timeIntervalSince1970:)), expiresOn: $0.expiry.map(Date.init(timeIntervalSince1970:))
            )
        }
    }

    /// A container's policies, with its ETag and Last-Modified (Get Container ACL answers them).
    func containerPolicies(account: String, name: String) async throws -> (StoredContainer, [StoredAccessPolicy]) {
        try await pool.read { db in
            let container = try BlobStore.container(db, account: account, name: name)
            let text = try String.fetchOne(db, sql: "SELECT acl FROM containers WHERE id = ?", arguments: [container.id]) ?? "[]"
            return (container, Self.decode(text))
        }
    }

    /// Replaces a container's policies after `condition` accepts the container; the container
    /// gets a new ETag and Last-Modified, as on Azure.
    func setContainerPolicies(
        account: String, name: String, policies: [StoredAccessPolicy],
        condition: @escaping @Sendable (StoredContainer) throws -> Void
    ) async throws -> StoredContainer {
        let now = nowMilliseconds()
        let etag = BlobStore.newETag()
        return try await pool.write { db in
            var container = try BlobStore.container(db, account: account, name: name)
            try condition(container)
            try db.execute(
                sql: "UPDATE containers SET acl = ?, etag = ?, modified_ms = ? WHERE id = ?",
                arguments: [Self.encode(policies), etag, now, container.id]
            )
            container.etag = etag
            container.modifiedMs = now
            return container
        }
    }

    func queuePolicies(account: String, name: String) async throws -> [StoredAccessPolicy] {
        try await pool.read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT acl FROM queues WHERE account = ? AND name = ?", arguments: [account, name]) else {
                throw StorageServiceError.queueNotFound()
            }
            return Self.decode(text)
        }
    }

    func setQueuePolicies(account: String, name: String, policies: [StoredAccessPolicy]) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE queues SET acl = ? WHERE account = ? AND name = ?", arguments: [Self.encode(policies), account, name])
            if db.changesCount == 0 { throw StorageServiceError.queueNotFound() }
        }
    }

    /// The policy `id` of the container or queue a SAS addresses; `nil` if it (or the resource)
    /// does not exist.
    func policy(account: String, resource: SASResource, id: String) async throws -> StoredAccessPolicy? {
        let table = resource.service == .blob ? "containers" : "queues"
        let text = try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT acl FROM \(table) WHERE account = ? AND name = ?", arguments: [account, resource.container])
        }
        return text.flatMap { Self.decode($0).first { $0.id == id } }
    }
}
