public import Foundation
public import GRDB

/// A front-end account: the first factor (a bcrypt hash) and the second factor's policy
/// (enrolled object classes, threshold, and the device and module that verify them).
public struct UserAccount: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "account"

    public var id: Int64?
    public var username: String
    /// `PasswordHasher`'s encoding; never shown.
    var passwordHash: String
    /// One or more ImageNet-style class names; one is drawn at random per sign-in.
    public var classes: [String]
    /// Minimum confidence, in percent (1...100), that the device must report.
    public var threshold: Double
    public var deviceId: String
    public var moduleId: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var lastLoginAt: Date?
    /// `admin` opens the admin pages (after a sign-in with both factors); `user` otherwise.
    public var role: AccountRole = .user

    public enum Columns {
        public static let username = Column(CodingKeys.username)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    // `classes` is stored as a JSON array in a TEXT column.
    public init(row: Row) throws {
        id = row["id"]
        username = row["username"]
        passwordHash = row["passwordHash"]
        let classesJSON: String = row["classes"]
        classes = (try? JSONDecoder().decode([String].self, from: Data(classesJSON.utf8))) ?? []
        threshold = row["threshold"]
        deviceId = row["deviceId"]
        moduleId = row["moduleId"]
        createdAt = row["createdAt"]
        updatedAt = row["updatedAt"]
        lastLoginAt = row["lastLoginAt"]
        // An unknown role (a newer schema's) grants nothing.
        role = (row["role"] as String?).flatMap(AccountRole.init(rawValue:)) ?? .user
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["username"] = username
        container["passwordHash"] = passwordHash
        let json = try JSONEncoder().encode(classes)
        container["classes"] = String(decoding: json, as: UTF8.self)
        container["threshold"] = threshold
        container["deviceId"] = deviceId
        container["moduleId"] = moduleId
        container["createdAt"] = createdAt
        container["updatedAt"] = updatedAt
        container["lastLoginAt"] = lastLoginAt
        container["role"] = role.rawValue
    }

    init(
        username: String, passwordHash: String, classes: [String], threshold: Double,
        deviceId: String, moduleId: String?, role: AccountRole = .user, now: Date
    ) {
        self.username = username
        self.passwordHash = passwordHash
        self.classes = classes
        self.threshold = threshold
        self.deviceId = deviceId
        self.moduleId = moduleId
        self.role = role
        self.createdAt = now
        self.updatedAt = now
    }
}
