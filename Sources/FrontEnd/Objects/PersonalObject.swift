package import Foundation
package import GRDB
package import Verification

/// A person's own object, enrolled at their device: the template stays on the device; the
/// front-end keeps its id, the person's name for it, a thumbnail and the enrolment's quality figures.
package struct PersonalObject: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    package static let databaseTableName = "personalObject"

    package var id: Int64?
    /// The device's id for the template (32 lowercase hex digits), unique.
    package var templateId: String
    /// The account the object belongs to.
    package var username: String
    /// The device holding the template; only that device can verify it.
    package var deviceId: String
    package var moduleId: String?
    /// The person's name for it ("blue mug"), used in the challenge.
    package var name: String
    /// A small JPEG of the object as the device saw it at enrolment.
    package var thumbnail: Data
    package var quality: TemplateQuality
    package var createdAt: Date
    package var updatedAt: Date

    package enum Columns {
        package static let templateId = Column("templateId")
        package static let username = Column("username")
        package static let deviceId = Column("deviceId")
        package static let name = Column("name")
        package static let createdAt = Column("createdAt")
    }

    package init(
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

    package mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    // `quality` is stored as JSON in a TEXT column.
    package init(row: Row) throws {
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

    package func encode(to container: inout PersistenceContainer) throws {
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
    package var accountRef: String { AccountReference.make(username: username) }
}
