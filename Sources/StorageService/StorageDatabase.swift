import Foundation
import GRDB

/// The service's SQLite database (WAL): queues and messages, containers, blobs and staged blocks.
///
/// Durability: every acknowledged write is a committed transaction. With WAL and
/// `synchronous=NORMAL` a committed transaction survives the process being killed (the WAL is
/// in the OS page cache); only a power loss could lose the last commits.
final class StorageDatabase: Sendable {
    let pool: DatabasePool
    /// The queue's message writes, committed together when they arrive together.
    let groupCommit: GroupCommit

    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.maximumReaderCount = 8
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        groupCommit = GroupCommit(pool: pool)
        try Self.migrator.migrate(pool)
    }

    func close() {
        try? pool.close()
    }

    /// Whether the database answers a trivial read (for `/readyz`).
    func isOpen() async -> Bool {
        (try? await pool.read { try Int.fetchOne($0, sql: "SELECT 1") }) == 1
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE queues (
                    id INTEGER PRIMARY KEY,
                    account TEXT NOT NULL,
                    name TEXT NOT NULL,
                    metadata TEXT NOT NULL DEFAULT '[]',
                    created_ms INTEGER NOT NULL,
                    UNIQUE (account, name)
                );
                CREATE TABLE messages (
                    seq INTEGER PRIMARY KEY,
                    queue_id INTEGER NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
                    message_id TEXT NOT NULL UNIQUE,
                    text TEXT NOT NULL,
                    inserted_ms INTEGER NOT NULL,
                    expires_ms INTEGER NOT NULL,
                    visible_ms INTEGER NOT NULL,
                    dequeue_count INTEGER NOT NULL DEFAULT 0,
                    pop_receipt TEXT NOT NULL
                );
                CREATE INDEX messages_by_visibility ON messages (queue_id, visible_ms);
                CREATE INDEX messages_by_expiry ON messages (expires_ms);
                CREATE TABLE containers (
                    id INTEGER PRIMARY KEY,
                    account TEXT NOT NULL,
                    name TEXT NOT NULL,
                    metadata TEXT NOT NULL DEFAULT '[]',
                    etag TEXT NOT NULL,
                    created_ms INTEGER NOT NULL,
                    modified_ms INTEGER NOT NULL,
                    UNIQUE (account, name)
                );
                CREATE TABLE blobs (
                    container_id INTEGER NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    file TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    content_type TEXT NOT NULL,
                    content_encoding TEXT,
                    content_language TEXT,
                    content_disposition TEXT,
                    cache_control TEXT,
                    content_md5 BLOB,
                    etag TEXT NOT NULL,
                    created_ms INTEGER NOT NULL,
                    modified_ms INTEGER NOT NULL,
                    metadata TEXT NOT NULL DEFAULT '[]',
                    PRIMARY KEY (container_id, name)
                ) WITHOUT ROWID;
                CREATE TABLE blocks (
                    container_id INTEGER NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
                    blob_name TEXT NOT NULL,
                    block_id TEXT NOT NULL,
                    file TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    created_ms INTEGER NOT NULL,
                    PRIMARY KEY (container_id, blob_name, block_id)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v2-access-policies") { db in
            // Stored access policies (Set Container ACL, Set Queue ACL), a JSON array per row:
            // they go with their container or queue when it is deleted.
            try db.execute(sql: """
                ALTER TABLE containers ADD COLUMN acl TEXT NOT NULL DEFAULT '[]';
                ALTER TABLE queues ADD COLUMN acl TEXT NOT NULL DEFAULT '[]';
                """)
        }
        return migrator
    }
}

/// Current time in milliseconds since 1970.
func nowMilliseconds() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
}

/// Metadata is stored as a JSON array of [name, value] pairs, keeping the names' case and order.
enum MetadataCoding {
    static func encode(_ metadata: [(String, String)]) -> String {
        let pairs = metadata.map { [$0.0, $0.1] }
        guard let data = try? JSONEncoder().encode(pairs) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String) -> [(String, String)] {
        guard let pairs = try? JSONDecoder().decode([[String]].self, from: Data(text.utf8)) else { return [] }
        return pairs.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
    }
}
