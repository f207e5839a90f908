package import Foundation
import GRDB

/// Accounts in SQLite: what `edgefactor users` manages and what the sign-in form checks.
public struct UserStore: Sendable {
    /// The changes `users set` can make; `nil` leaves a field as it is.
    public struct Changes: Sendable {
        public var password: String?
        public var classes: [String]?
        public var threshold: Double?
        public var deviceId: String?
        /// `.some(nil)` removes the module (the device itself answers ProcessRequest).
        public var moduleId: String??
        /// Only the CLI sets it (`users set --role`).
        public var role: AccountRole?
        public init(
            password: String? = nil, classes: [String]? = nil, threshold: Double? = nil, deviceId: String? = nil, moduleId: String?? = nil,
            role: AccountRole? = nil
        ) {
            self.role = role
            self.password = password
            self.classes = classes
            self.threshold = threshold
            self.deviceId = deviceId
            self.moduleId = moduleId
        }
    }

    let database: FrontEndDatabase
    let hasher: PasswordHasher
    /// Canonicalises an object class against the model's labels (nil: not a label); nil closure
    /// skips the check (the CLI passes the model's labels; tests may not have a model).
    let classCatalogue: (@Sendable (String) -> String?)?

    /// - Parameters:
    ///   - bcryptCost: log2 rounds for new hashes (12 unless testing).
    ///   - classCatalogue: returns the model's label for a class name, or nil when the model does not know it.
    public init(database: FrontEndDatabase, bcryptCost: UInt8 = 12, classCatalogue: (@Sendable (String) -> String?)? = nil) {
        self.database = database
        self.hasher = PasswordHasher(cost: bcryptCost)
        self.classCatalogue = classCatalogue
    }

    /// Creates an account.
    ///
    /// - Parameter role: `.admin` only from the CLI (`users add --admin`): no page creates an administrator.
    @discardableResult
    package func add(
        username: String, password: String, classes: [String], threshold: Double,
        deviceId: String, moduleId: String?, role: AccountRole = .user, now: Date = Date()
    ) async throws -> UserAccount {
        let name = try AccountPolicy.validUsername(username)
        try AccountPolicy.checkPassword(password, username: name)
        let classes = try validClasses(classes)
        let threshold = try AccountPolicy.validThreshold(threshold)
        let device = try AccountPolicy.validDeviceId(deviceId)
        let module = try moduleId.map { id throws(FrontEndError) in try AccountPolicy.validDeviceId(id) }
        let hash = try await hasher.hash(password)
        let newAccount = UserAccount(
            username: name, passwordHash: hash, classes: classes, threshold: threshold,
            deviceId: device, moduleId: module, role: role, now: now
        )
        return try await database.writer.write { db in
            var account = newAccount
            if try UserAccount.filter(UserAccount.Columns.username == name).fetchOne(db) != nil {
                throw FrontEndError.userExists(name)
            }
            try account.insert(db)
            // A fresh account starts with a clean throttle record.
            try db.execute(sql: "DELETE FROM loginFailure WHERE username = ?", arguments: [name])
            return account
        }
    }

    /// Applies `changes` to an existing account.
    @discardableResult
    package func update(username: String, changes: Changes, now: Date = Date()) async throws -> UserAccount {
        guard var account = try await find(username) else { throw FrontEndError.userNotFound(username) }
        if let password = changes.password {
            try AccountPolicy.checkPassword(password, username: account.username)
            account.passwordHash = try await hasher.hash(password)
        }
        if let classes = changes.classes { account.classes = try validClasses(classes) }
        if let threshold = changes.threshold { account.threshold = try AccountPolicy.validThreshold(threshold) }
        if let device = changes.deviceId { account.deviceId = try AccountPolicy.validDeviceId(device) }
        if let module = changes.moduleId {
            account.moduleId = try module.map { id throws(FrontEndError) in try AccountPolicy.validDeviceId(id) }
        }
        if let role = changes.role { account.role = role }
        account.updatedAt = now
        let updated = account
        try await database.writer.write { db in try updated.update(db) }
        return updated
    }

    /// Deletes an account and its personal objects (its audit history stays).
    public func remove(username: String) async throws {
        let deleted = try await database.writer.write { db in
            try PersonalObject.filter(PersonalObject.Columns.username.collating(.nocase) == username).deleteAll(db)
            return try UserAccount.filter(UserAccount.Columns.username == username).deleteAll(db)
        }
        guard deleted > 0 else { throw FrontEndError.userNotFound(username) }
    }

    /// Every account, by name.
    package func list() async throws -> [UserAccount] {
        try await database.writer.read { db in
            try UserAccount.order(UserAccount.Columns.username.collating(.nocase)).fetchAll(db)
        }
    }

    /// Every device (and module) an account signs in with, once each.
    public func devices() async throws -> [StorageAccessRenewer.Device] {
        try await database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT DISTINCT deviceId, moduleId FROM account").map {
                StorageAccessRenewer.Device(deviceId: $0["deviceId"], moduleId: $0["moduleId"])
            }
        }
    }

    /// The account named `username` (case-insensitive), if any.
    package func find(_ username: String) async throws -> UserAccount? {
        try await database.writer.read { db in
            try UserAccount.filter(UserAccount.Columns.username == username).fetchOne(db)
        }
    }

    /// Records a completed sign-in.
    func markSignedIn(_ username: String, at date: Date) async throws {
        try await database.writer.write { db in
            try db.execute(sql: "UPDATE account SET lastLoginAt = ? WHERE username = ?", arguments: [date, username])
        }
    }

    private func validClasses(_ classes: [String]) throws(FrontEndError) -> [String] {
        var result: [String] = []
        for raw in classes.flatMap({ $0.split(separator: ";").map(String.init) }) {
            var name = try AccountPolicy.validClassName(raw)
            if let classCatalogue {
                guard let label = classCatalogue(name) else {
                    throw .invalidClass("\"\(name)\" is not a class the model knows; use a name from its labels file (e.g. var/models/labels.json)")
                }
                name = label
            }
            if !result.contains(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) { result.append(name) }
        }
        guard !result.isEmpty else { throw .invalidClass("enrol at least one object class (--class)") }
        guard result.count <= 50 else { throw .invalidClass("enrol at most 50 classes") }
        return result
    }
}
