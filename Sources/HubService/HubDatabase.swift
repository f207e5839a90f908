import Foundation
import GRDB

/// Opens the hub's SQLite database (WAL mode) and brings its schema up to date.
enum HubDatabase {
    static func open(at url: URL) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        // WAL with synchronous=NORMAL: a commit survives a crash of the hub (not of the machine's
        // power) without an fsync per transaction, which keeps telemetry storage fast.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let pool = try DatabasePool(path: url.path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE identities (
                    device_id TEXT NOT NULL,
                    module_id TEXT NOT NULL DEFAULT '',
                    primary_key TEXT NOT NULL,
                    secondary_key TEXT NOT NULL,
                    enabled INTEGER NOT NULL DEFAULT 1,
                    generation_id TEXT NOT NULL,
                    etag TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    desired TEXT NOT NULL DEFAULT '{}',
                    desired_version INTEGER NOT NULL DEFAULT 1,
                    reported TEXT NOT NULL DEFAULT '{}',
                    reported_version INTEGER NOT NULL DEFAULT 1,
                    tags TEXT NOT NULL DEFAULT '{}',
                    twin_version INTEGER NOT NULL DEFAULT 1,
                    PRIMARY KEY (device_id, module_id)
                );
                CREATE TABLE subscriptions (
                    client_id TEXT NOT NULL,
                    topic_filter TEXT NOT NULL,
                    PRIMARY KEY (client_id, topic_filter)
                );
                CREATE TABLE telemetry (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    device_id TEXT NOT NULL,
                    module_id TEXT NOT NULL DEFAULT '',
                    enqueued_at REAL NOT NULL,
                    properties TEXT NOT NULL,
                    system_properties TEXT NOT NULL,
                    body BLOB NOT NULL
                );
                CREATE INDEX telemetry_by_identity ON telemetry (device_id, module_id, id);
                CREATE INDEX telemetry_by_time ON telemetry (enqueued_at);
                CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
                """)
        }
        try migrator.migrate(pool)
        return pool
    }
}
