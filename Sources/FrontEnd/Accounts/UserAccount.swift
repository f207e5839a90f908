package import Foundation
package import GRDB

/// A front-end account: the first factor (a bcrypt hash) and the second factor's policy
/// (enrolled object classes, threshold, and the device and module that verify them).
package struct UserAccount: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    package static let databaseTableName = "account"

    package var id: Int64?
    package var username: String
    /// `PasswordHasher`'s encoding; never shown.
    var passwordHash: String
    /// One or more ImageNet-style class names; one is drawn at random per sign-in.
    package var classes: [String]
    /// Minimum confidence, in percent (1...100), that the device must report.
    package var threshold: Double
    package var deviceId: String
    package var moduleId: String?
    package var createdAt: Date
    package var updatedAt: Date
    package var lastLoginAt: Date?
    /// `admin` opens the admin pages (after a sign-in with both factors); `user` otherwise.
    package var role: AccountRole = .user

    package enum Columns {
        package static let username = Column(CodingKeys.username)
    }

    package mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    // `classes` is stored as a JSON array in a TEXT column.
    package init(row: Row) throws {
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

    package func encode(to container: inout PersistenceContainer) throws {
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
