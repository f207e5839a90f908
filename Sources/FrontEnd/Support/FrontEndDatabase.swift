import Foundation
import GRDB
import PrivateFiles

/// The front-end's SQLite database: accounts, their personal objects, the account throttle and the
/// audit log.
///
/// One file, opened in WAL mode so that the CLI (`edgefactor users`, `edgefactor frontend audit`)
/// can read and write while the server runs.
public struct FrontEndDatabase: Sendable {
    /// The GRDB connection pool; every store in the front-end shares it.
    let writer: any DatabaseWriter

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    ///
    /// - Throws: ``FrontEndError/database(_:)`` when the file cannot be opened or migrated.
    public init(path: String) throws(FrontEndError) {
        do {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            // A new folder is private; an existing one (it may be shared, like /tmp) is left as it is.
            try PrivateFiles.createDirectory(directory.path, tighten: false)
            try PrivateFiles.prepareDatabase(at: path)
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            let pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
            self.writer = pool
        } catch {
            throw .database("cannot open the front-end database at \(path): \(error). Check that the directory is writable, or pass another --database path.")
        }
    }

    /// An in-memory database, for tests and throw-away demos.
    static func inMemory() throws(FrontEndError) -> FrontEndDatabase {
        do {
            let queue = try DatabaseQueue()
            try migrator.migrate(queue)
            return FrontEndDatabase(writer: queue)
        } catch {
            throw .database("cannot create an in-memory database: \(error)")
        }
    }

    private init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "account") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("username", .text).notNull().unique().collate(.nocase)
                t.column("passwordHash", .text).notNull()
                t.column("classes", .text).notNull()          // JSON array of class names
                t.column("threshold", .double).notNull()
                t.column("deviceId", .text).notNull()
                t.column("moduleId", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.column("lastLoginAt", .datetime)
            }
            // Keyed by the name typed, whether or not an account exists, so that throttling
            // and lockout look the same for unknown names (no user enumeration).
            try db.create(table: "loginFailure") { t in
                t.primaryKey("username", .text).collate(.nocase)
                t.column("consecutive", .integer).notNull()
                t.column("lastFailureAt", .datetime).notNull()
                t.column("lockedAt", .datetime)
            }
            try db.create(table: "auditEvent") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("at", .datetime).notNull().indexed()
                t.column("kind", .text).notNull()
                t.column("username", .text).indexed()
                t.column("address", .text)
                t.column("requestId", .text)
                t.column("deviceId", .text)
                t.column("className", .text)
                t.column("confidence", .double)
                t.column("outcome", .text).notNull()
                t.column("detail", .text)
            }
        }
        migrator.registerMigration("v2-personal-objects") { db in
            try db.create(table: "personalObject") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("templateId", .text).notNull().unique()
                t.column("username", .text).notNull().indexed().collate(.nocase)
                t.column("deviceId", .text).notNull()
                t.column("moduleId", .text)
                t.column("name", .text).notNull()
                t.column("thumbnail", .blob).notNull()
                t.column("quality", .text).notNull()      // TemplateQuality as JSON
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v3-audit-request-index") { db in
            // Start-up closes verifications a restart interrupted by matching request ids.
            try db.create(index: "auditEvent_requestId", on: "auditEvent", columns: ["requestId"])
        }
        migrator.registerMigration("v4-admin") { db in
            // Existing accounts are people, not administrators: the first admin comes from the CLI.
            try db.alter(table: "account") { t in t.add(column: "role", .text).notNull().defaults(to: AccountRole.user.rawValue) }
            // Who did an administrator's action (`username` is then the account acted on).
            try db.alter(table: "auditEvent") { t in t.add(column: "actor", .text) }
        }
        return migrator
    }
}
