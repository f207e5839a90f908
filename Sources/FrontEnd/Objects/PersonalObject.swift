public import Foundation
public import GRDB
public import Verification

/// A person's own object, enrolled at their device: the template stays on the device; the
/// front-end keeps its id, the person's name for it, a thumbnail and the enrolment's quality figures.
public struct PersonalObject: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "personalObject"

    public var id: Int64?
    /// The device's id for the template (32 lowercase hex digits), unique.
    public var templateId: String
    /// The account the object belongs to.
    public var username: String
    /// The device holding the template; only that device can verify it.
    public var deviceId: String
    public var moduleId: String?
    /// The person's name for it ("blue mug"), used in the challenge.
    public var name: String
    /// A small JPEG of the object as the device saw it at enrolment.
    public var thumbnail: Data
    public var quality: TemplateQuality
    public var createdAt: Date
    public var updatedAt: Date

    public enum Columns {
        public static let templateId = Column("templateId")
        public static let username = Column("username")
        public static let deviceId = Column("deviceId")
        public static let name = Column("name")
        public static let createdAt = Column("createdAt")
    }

    public init(
        templateId: String, username: String, deviceId: String, moduleId: String?, name: String, thumbnail: Data,
        quality: TemplateQuality, now: Date = Date()
    ) {
        self.templateId = templateId
        self.username = username
        self.deviceId = deviceId
        self.moduleId = moduleId
        self.name = name
        self.thumbnail = thumbnail
        self.quality = quality
        self.createdAt = now
        self.updatedAt = now
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    // `quality` is stored as JSON in a TEXT column.
    public init(row: Row) throws {
        id = row["id"]
        templateId = row["templateId"]
        username = row["username"]
        deviceId = row["deviceId"]
        moduleId = row["moduleId"]
        name = row["name"]
        thumbnail = row["thumbnail"]
        let qualityJSON: String = row["quality"]
        quality = try JSONDecoder().decode(TemplateQuality.self, from: Data(qualityJSON.utf8))
        createdAt = row["createdAt"]
        updatedAt = row["updatedAt"]
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["templateId"] = templateId
        container["username"] = username
        container["deviceId"] = deviceId
        container["moduleId"] = moduleId
        container["name"] = name
        container["thumbnail"] = thumbnail
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        container["quality"] = String(decoding: try encoder.encode(quality), as: UTF8.self)
        container["createdAt"] = createdAt
        container["updatedAt"] = updatedAt
    }

    /// The opaque account id the device binds this object's template to.
    public var accountRef: String { AccountReference.make(username: username) }
}
