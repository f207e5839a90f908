public import Foundation
public import IoTHub

/// A device or module registered in the built-in hub.
public struct HubIdentity: Sendable, Equatable {
    public var deviceId: String
    /// `nil` for a device.
    public var moduleId: String?
    public var primaryKey: String
    public var secondaryKey: String
    public var enabled: Bool
    public var generationId: String
    public var etag: String
    public var createdAt: Date

    /// `deviceId` or `deviceId/moduleId` (the MQTT client id).
    public var clientId: String { moduleId.map { "\(deviceId)/\($0)" } ?? deviceId }

    /// The identity's SAS resource path after the host name.
    var resourcePath: String {
        moduleId.map { "/devices/\(deviceId)/modules/\($0)" } ?? "/devices/\(deviceId)"
    }

    /// The connection string this identity uses to reach a hub called `hostName`.
    public func connectionString(hostName: String, gatewayHostName: String? = nil) -> IoTHubConnectionString {
        IoTHubConnectionString(
            hostName: hostName, deviceId: deviceId, moduleId: moduleId,
            sharedAccessKey: primaryKey, gatewayHostName: gatewayHostName
        )
    }
}

/// The twin of one identity: properties with their versions, and tags.
struct TwinState: Sendable, Equatable {
    var desired: [String: JSONValue]
    var desiredVersion: Int
    var reported: [String: JSONValue]
    var reportedVersion: Int
    var tags: [String: JSONValue]
    var version: Int

    var desiredWithVersion: [String: JSONValue] {
        var copy = desired
        copy["$version"] = .int(Int64(desiredVersion))
        return copy
    }

    var reportedWithVersion: [String: JSONValue] {
        var copy = reported
        copy["$version"] = .int(Int64(reportedVersion))
        return copy
    }

    /// JSON merge-patch: `null` deletes, objects merge recursively, `$`-keys (`$version`, `$metadata`) are ignored.
    static func merge(_ patch: [String: JSONValue], into target: inout [String: JSONValue]) {
        for (key, value) in patch where !key.hasPrefix("$") {
            switch value {
            case .null:
                target[key] = nil
            case .object(let members):
                var existing = target[key]?.objectValue ?? [:]
                merge(members, into: &existing)
                target[key] = .object(existing)
            default:
                target[key] = value
            }
        }
    }
}
