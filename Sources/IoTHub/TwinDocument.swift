public import Foundation

/// A device or module twin as the device side sees it: desired and reported properties.
public struct TwinDocument: Sendable, Equatable {
    /// The desired properties, `$version` included.
    public var desired: [String: JSONValue]
    /// The reported properties, `$version` included.
    public var reported: [String: JSONValue]
    public var desiredVersion: Int
    public var reportedVersion: Int

    public init(desired: [String: JSONValue], reported: [String: JSONValue], desiredVersion: Int, reportedVersion: Int) {
        self.desired = desired
        self.reported = reported
        self.desiredVersion = desiredVersion
        self.reportedVersion = reportedVersion
    }

    /// Parses the body of a twin GET response: `{"desired":{...},"reported":{...}}`.
    public init(json: Data) throws(IoTHubClientError) {
        guard let object = JSONValue.object(from: json) else {
            throw .malformedResponse("twin document is not a JSON object")
        }
        let desired = object["desired"]?.objectValue ?? [:]
        let reported = object["reported"]?.objectValue ?? [:]
        self.init(
            desired: desired,
            reported: reported,
            desiredVersion: desired["$version"]?.intValue ?? 0,
            reportedVersion: reported["$version"]?.intValue ?? 0
        )
    }

    /// Decodes the desired properties as `T` (unknown keys such as `$version` are ignored by `Decodable`).
    public func decodeDesired<T: Decodable>(as type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONValue.data(of: desired))
    }
}
