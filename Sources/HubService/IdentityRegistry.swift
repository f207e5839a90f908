import Foundation
import GRDB
import IoTHub

/// Devices, modules and their twins, in SQLite.
final class IdentityRegistry: Sendable {
    private let database: DatabasePool

    /// Whether the database answers a trivial read (for `/readyz`).
    func isReadable() async -> Bool {
        (try? await database.read { try Int.fetchOne($0, sql: "SELECT 1") }) == 1
    }

    init(database: DatabasePool) {
        self.database = database
    }

    static func validateId(_ id: String, kind: String) throws(HubError) {
        // IoT Hub's rule: up to 128 characters of letters, digits and - : . + % _ # * ? ! ( ) , = @ $ '
        let allowed = Set("-:.+%_#*?!(),=@$'")
        guard !id.isEmpty, id.count <= 128,
              id.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || allowed.contains(Character($0))) })
        else {
            throw .badRequest("\(kind) id \"\(id.prefix(140))\" is invalid: use 1-128 letters, digits or -:.+%_#*?!(),=@$'")
        }
    }

    private static func identity(from row: Row) -> HubIdentity {
        let module: String = row["module_id"]
        return HubIdentity(
            deviceId: row["device_id"],
            moduleId: module.isEmpty ? nil : module,
            primaryKey: row["primary_key"],
            secondaryKey: row["secondary_key"],
            enabled: row["enabled"],
            generationId: row["generation_id"],
            etag: row["etag"],
            createdAt: Date(timeIntervalSince1970: row["created_at"])
        )
    }

    func identity(deviceId: String, moduleId: String?) async throws -> HubIdentity? {
        try await database.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM identities WHERE device_id = ? AND module_id = ?",
                arguments: [deviceId, moduleId ?? ""]
            ).map(Self.identity(from:))
        }
    }

    /// Creates (no `ifMatch`) or updates (`ifMatch` is `*` or the current etag) an identity.
    func put(
        deviceId: String, moduleId: String?, primaryKey: String?, secondaryKey: String?,
        enabled: Bool, ifMatch: String?
    ) async throws -> HubIdentity {
        try Self.validateId(deviceId, kind: "device")
        if let moduleId { try Self.validateId(moduleId, kind: "module") }
        for key in [primaryKey, secondaryKey].compactMap({ $0 }) {
            guard let bytes = Data(base64Encoded: key), (16...64).contains(bytes.count) else {
                throw HubError.badRequest("symmetric keys must be base64 of 16 to 64 bytes")
            }
        }
        return try await database.write { db in
            if moduleId != nil {
                guard try Row.fetchOne(db, sql: "SELECT 1 FROM identities WHERE device_id = ? AND module_id = ''", arguments: [deviceId]) != nil else {
                    throw HubError.deviceNotFound(deviceId)
                }
            }
            let existing = try Row.fetchOne(
                db, sql: "SELECT * FROM identities WHERE device_id = ? AND module_id = ?", arguments: [deviceId, moduleId ?? ""]
            ).map(Self.identity(from:))
            let etag = Self.newEtag()
            if let existing {
                guard let ifMatch else {
                    throw moduleId.map { HubError.moduleExists(deviceId, $0) } ?? HubError.deviceExists(deviceId)
                }
                guard ifMatch == "*" || ifMatch == existing.etag else {
                    throw HubError.preconditionFailed("etag \(ifMatch) does not match the current \(existing.etag)")
                }
                try db.execute(
                    sql: "UPDATE identities SET primary_key = ?, secondary_key = ?, enabled = ?, etag = ? WHERE device_id = ? AND module_id = ?",
                    arguments: [primaryKey ?? existing.primaryKey, secondaryKey ?? existing.secondaryKey, enabled, etag, deviceId, moduleId ?? ""]
                )
            } else {
                try db.execute(
                    sql: """
                        INSERT INTO identities (device_id, module_id, primary_key, secondary_key, enabled, generation_id, etag, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        deviceId, moduleId ?? "", primaryKey ?? Self.newKey(), secondaryKey ?? Self.newKey(), enabled,
                        String(UInt64.random(in: 1...UInt64.max)), etag, Date().timeIntervalSince1970,
                    ]
                )
            }
            guard let row = try Row.fetchOne(
                db, sql: "SELECT * FROM identities WHERE device_id = ? AND module_id = ?", arguments: [deviceId, moduleId ?? ""]
            ) else { throw HubError.deviceNotFound(deviceId) }
            return Self.identity(from: row)
        }
    }

    /// Deletes a device (with its modules) or one module. Returns whether it existed.
    func delete(deviceId: String, moduleId: String?) async throws -> Bool {
        try await database.write { db in
            if let moduleId {
                try db.execute(sql: "DELETE FROM identities WHERE device_id = ? AND module_id = ?", arguments: [deviceId, moduleId])
                let changed = db.changesCount > 0
                try db.execute(sql: "DELETE FROM subscriptions WHERE client_id = ?", arguments: ["\(deviceId)/\(moduleId)"])
                return changed
            }
            try db.execute(sql: "DELETE FROM identities WHERE device_id = ?", arguments: [deviceId])
            let changed = db.changesCount > 0
            try db.execute(
                sql: "DELETE FROM subscriptions WHERE client_id = ? OR client_id LIKE ? ESCAPE '\\'",
                arguments: [deviceId, Self.likeEscaped(deviceId) + "/%"]
            )
            return changed
        }
    }

    func devices(limit: Int) async throws -> [HubIdentity] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM identities WHERE module_id = '' ORDER BY device_id LIMIT ?", arguments: [limit])
                .map(Self.identity(from:))
        }
    }

    func modules(deviceId: String) async throws -> [HubIdentity] {
        try await database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM identities WHERE device_id = ? AND module_id <> '' ORDER BY module_id", arguments: [deviceId]
            ).map(Self.identity(from:))
        }
    }

    // MARK: Twins

    private static func twin(from row: Row) throws -> TwinState {
        func object(_ column: String) throws -> [String: JSONValue] {
            let text: String = row[column]
            return try JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8))
        }
        return TwinState(
            desired: try object("desired"),
            desiredVersion: row["desired_version"],
            reported: try object("reported"),
            reportedVersion: row["reported_version"],
            tags: try object("tags"),
            version: row["twin_version"]
        )
    }

    private static func text(_ object: [String: JSONValue]) throws -> String {
        String(decoding: try JSONEncoder().encode(object), as: UTF8.self)
    }

    func twin(deviceId: String, moduleId: String?) async throws -> TwinState? {
        try await database.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM identities WHERE device_id = ? AND module_id = ?", arguments: [deviceId, moduleId ?? ""]
            ).map(Self.twin(from:))
        }
    }

    /// Merges a reported-properties patch; returns the new reported version.
    func patchReported(deviceId: String, moduleId: String?, patch: [String: JSONValue]) async throws -> Int {
        try await update(deviceId: deviceId, moduleId: moduleId) { twin in
            TwinState.merge(patch, into: &twin.reported)
            twin.reportedVersion += 1
            return true
        }.reportedVersion
    }

    /// Merges desired properties and tags (or replaces them when `replace`); returns the twin and
    /// whether the desired section changed.
    func patchDesired(
        deviceId: String, moduleId: String?, desired: [String: JSONValue]?, tags: [String: JSONValue]?, replace: Bool
    ) async throws -> (twin: TwinState, desiredChanged: Bool) {
        let twin = try await update(deviceId: deviceId, moduleId: moduleId) { twin in
            if let desired {
                if replace { twin.desired = [:] }
                TwinState.merge(desired, into: &twin.desired)
                twin.desiredVersion += 1
            }
            if let tags {
                if replace { twin.tags = [:] }
                TwinState.merge(tags, into: &twin.tags)
            }
            return desired != nil || tags != nil
        }
        return (twin, desired != nil)
    }

    private func update(
        deviceId: String, moduleId: String?, _ change: @escaping @Sendable (inout TwinState) throws -> Bool
    ) async throws -> TwinState {
        try await database.write { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT * FROM identities WHERE device_id = ? AND module_id = ?", arguments: [deviceId, moduleId ?? ""]
            ) else {
                throw moduleId.map { HubError.moduleNotFound(deviceId, $0) } ?? HubError.deviceNotFound(deviceId)
            }
            var twin = try Self.twin(from: row)
            guard try change(&twin) else { return twin }
            twin.version += 1
            let desired = try Self.text(twin.desired)
            let reported = try Self.text(twin.reported)
            let tags = try Self.text(twin.tags)
            guard desired.utf8.count <= 32 * 1024, reported.utf8.count <= 32 * 1024, tags.utf8.count <= 8 * 1024 else {
                throw HubError.tooLarge("twin sections are limited to 32 KiB (desired, reported) and 8 KiB (tags)")
            }
            try db.execute(
                sql: """
                    UPDATE identities SET desired = ?, desired_version = ?, reported = ?, reported_version = ?, tags = ?, twin_version = ?
                    WHERE device_id = ? AND module_id = ?
                    """,
                arguments: [desired, twin.desiredVersion, reported, twin.reportedVersion, tags, twin.version, deviceId, moduleId ?? ""]
            )
            return twin
        }
    }

    // MARK: Subscriptions (persisted MQTT sessions)

    func subscriptions(clientId: String) async throws -> Set<String> {
        try await database.read { db in
            Set(try String.fetchAll(db, sql: "SELECT topic_filter FROM subscriptions WHERE client_id = ?", arguments: [clientId]))
        }
    }

    func saveSubscriptions(clientId: String, added: [String], removed: [String], clear: Bool) async throws {
        try await database.write { db in
            if clear { try db.execute(sql: "DELETE FROM subscriptions WHERE client_id = ?", arguments: [clientId]) }
            for filter in added {
                try db.execute(sql: "INSERT OR IGNORE INTO subscriptions (client_id, topic_filter) VALUES (?, ?)", arguments: [clientId, filter])
            }
            for filter in removed {
                try db.execute(sql: "DELETE FROM subscriptions WHERE client_id = ? AND topic_filter = ?", arguments: [clientId, filter])
            }
        }
    }

    /// Forgets a client's stored session (a clean-session CONNECT). Looks first, so that the usual
    /// clean connect, with nothing stored, costs a read and no write transaction.
    func clearSubscriptions(clientId: String) async throws {
        let stored = try await database.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM subscriptions WHERE client_id = ?)", arguments: [clientId]) ?? false
        }
        guard stored else { return }
        try await saveSubscriptions(clientId: clientId, added: [], removed: [], clear: true)
    }

    // MARK: Settings

    func setting(_ name: String) async throws -> String? {
        try await database.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM settings WHERE name = ?", arguments: [name])
        }
    }

    func setSetting(_ name: String, _ value: String) async throws {
        try await database.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)", arguments: [name, value])
        }
    }

    static func newKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
    }

    static func newEtag() -> String {
        Data((0..<8).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    private static func likeEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}
