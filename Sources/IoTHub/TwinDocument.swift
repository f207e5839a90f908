public import Foundation

/// A device or module twin as the device side sees it: desired and reported properties.
public struct TwinDocument: Sendable, Equatable {
    /// The desired properties as a raw JSON object, `$version` included.
    public var desired: Data
    /// The reported properties as a raw JSON object, `$version` included.
    public var reported: Data
    public var desiredVersion: Int
    public var reportedVersion: Int

    public init(desired: Data, reported: Data, desiredVersion: Int, reportedVersion: Int) {
        self.desired = desired
        self.reported = reported
        self.desiredVersion = desiredVersion
        self.reportedVersion = reportedVersion
    }

    /// Parses the body of a twin GET response: `{"desired":{...},"reported":{...}}`.
    public init(json: Data) throws(IoTHubClientError) {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw .malformedResponse("twin document is not a JSON object")
        }
        let desired = object["desired"] as? [String: Any] ?? [:]
        let reported = object["reported"] as? [String: Any] ?? [:]
        func encode(_ value: [String: Any]) -> Data {
            (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("{}".utf8)
        }
        self.init(
            desired: encode(desired),
            reported: encode(reported),
            desiredVersion: (desired["$version"] as? NSNumber)?.intValue ?? 0,
            reportedVersion: (reported["$version"] as? NSNumber)?.intValue ?? 0
        )
    }

    /// Decodes the desired properties as `T` (unknown keys such as `$version` are ignored by `Decodable`).
    public func decodeDesired<T: Decodable>(as type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: desired)
    }
}
