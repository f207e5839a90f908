import Foundation
import GRDB

/// The personal objects of every account, in the front-end's SQLite database: what "Your objects"
/// and `edgefactor users objects` manage, and what the sign-in challenge draws from.
public struct ObjectStore: Sendable {
    /// Most objects one account may have (the device keeps at most as many per account).
    static let maximumPerAccount = 20

    let database: FrontEndDatabase

    public init(database: FrontEndDatabase) {
        self.database = database
    }

    /// Checks, before a capture starts, that `username` may add an object called `name`; returns
    /// the name as it will be stored.
    ///
    /// - Throws: ``FrontEndError/invalidObjectName(_:)``, ``FrontEndError/objectExists(_:)`` or
    ///   ``FrontEndError/objectLimit(_:)``.
    func checkCanAdd(username: String, name: String) async throws -> String {
        let name = try Self.validName(name)
        try await database.writer.read { db in try Self.checkRoom(db, username: username, name: name, except: nil) }
        return name
    }

    /// Stores a newly enrolled object (its name validated, the account's cap enforced).
    @discardableResult
    func add(_ object: PersonalObject) async throws -> PersonalObject {
        var object = object
        object.name = try Self.validName(object.name)
        let candidate = object
        return try await database.writer.write { db in
            var stored = candidate
            try Self.checkRoom(db, username: stored.username, name: stored.name, except: nil)
            if try PersonalObject.filter(PersonalObject.Columns.templateId == stored.templateId).fetchCount(db) > 0 {
                throw FrontEndError.objectExists("template \(stored.templateId)")
            }
            try stored.insert(db)
            return stored
        }
    }

    /// Renames `username`'s object `templateId`.
    @discardableResult
    func rename(templateId: String, username: String, to newName: String, now: Date = Date()) async throws -> PersonalObject {
        let name = try Self.validName(newName)
        return try await database.writer.write { db in
            guard var object = try Self.owned(db, templateId: templateId, username: username) else {
                throw FrontEndError.objectNotFound(templateId)
            }
            try Self.checkRoom(db, username: username, name: name, except: templateId, counting: false)
            object.name = name
            object.updatedAt = now
            try object.update(db)
            return object
        }
    }

    /// Deletes `username`'s object `templateId` at once (it is never challenged again) and returns
    /// it, so that the caller can ask the device to erase the template too.
    @discardableResult
    package func remove(templateId: String, username: String) async throws -> PersonalObject {
        try await database.writer.write { db in
            guard let object = try Self.owned(db, templateId: templateId, username: username) else {
                throw FrontEndError.objectNotFound(templateId)
            }
            try PersonalObject.filter(PersonalObject.Columns.templateId == templateId).deleteAll(db)
            return object
        }
    }

    /// `username`'s objects, oldest first; only those on `deviceId` when given.
    package func list(username: String, deviceId: String? = nil) async throws -> [PersonalObject] {
        try await database.writer.read { db in
            var request = PersonalObject.filter(PersonalObject.Columns.username == username)
            if let deviceId { request = request.filter(PersonalObject.Columns.deviceId == deviceId) }
            return try request.order(PersonalObject.Columns.createdAt, Column("id")).fetchAll(db)
        }
    }

    /// Every account's objects, by account then age (administrators' listing).
    package func listAll() async throws -> [PersonalObject] {
        try await database.writer.read { db in
            try PersonalObject.order(PersonalObject.Columns.username.collating(.nocase), PersonalObject.Columns.createdAt, Column("id")).fetchAll(db)
        }
    }

    /// `username`'s object `templateId`, if it exists and is theirs.
    func find(templateId: String, username: String) async throws -> PersonalObject? {
        try await database.writer.read { db in try Self.owned(db, templateId: templateId, username: username) }
    }

    /// An object's name: the rule of class names in a signed request (1–100 letters, digits,
    /// spaces and `-` `'` `,` `.` `_` `(` `)`), trimmed.
    static func validName(_ name: String) throws(FrontEndError) -> String {
        do {
            return try AccountPolicy.validClassName(name)
        } catch {
            throw .invalidObjectName(name)
        }
    }

    private static func owned(_ db: Database, templateId: String, username: String) throws -> PersonalObject? {
        try PersonalObject
            .filter(PersonalObject.Columns.templateId == templateId)
            .filter(PersonalObject.Columns.username.collating(.nocase) == username)
            .fetchOne(db)
    }

    private static func checkRoom(_ db: Database, username: String, name: String, except templateId: String?, counting: Bool = true) throws {
        let mine = try PersonalObject.filter(PersonalObject.Columns.username.collating(.nocase) == username).fetchAll(db)
        if mine.contains(where: { $0.templateId != templateId && $0.name.caseInsensitiveCompare(name) == .orderedSame }) {
            throw FrontEndError.objectExists(name)
        }
        if counting, mine.count >= maximumPerAccount {
            throw FrontEndError.objectLimit(maximumPerAccount)
        }
    }
}
