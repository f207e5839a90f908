public import Foundation

/// One device-to-cloud message as the hub stored it.
public struct StoredTelemetry: Sendable, Equatable, Codable {
    /// Increasing sequence number (the SSE event id).
    public var id: Int64
    public var deviceId: String
    public var moduleId: String?
    public var enqueuedTime: Date
    /// Application properties from the topic's property bag (decoded).
    public var properties: [String: String]
    /// System properties (`$.mid`, `$.ct`, ...) from the property bag (decoded).
    public var systemProperties: [String: String]
    public var body: Data

    /// The JSON object the SSE stream and `edgefactor hub telemetry` print: the body as text when
    /// it is UTF-8, else as `bodyBase64`.
    public var jsonObject: [String: JSONText] {
        var object: [String: JSONText] = [
            "id": .number(Double(id)),
            "deviceId": .string(deviceId),
            "enqueuedTime": .string(ISO8601DateFormatter().string(from: enqueuedTime)),
            "properties": .object(properties.mapValues { .string($0) }),
            "systemProperties": .object(systemProperties.mapValues { .string($0) }),
        ]
        if let moduleId { object["moduleId"] = .string(moduleId) }
        if let text = String(validating: body, as: UTF8.self) {
            object["body"] = .string(text)
        } else {
            object["bodyBase64"] = .string(body.base64EncodedString())
        }
        return object
    }

    /// One line of JSON.
    public var jsonLine: String {
        let data = (try? JSONEncoder.sorted.encode(jsonObject)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// A minimal JSON value for rendering telemetry.
public enum JSONText: Sendable, Equatable, Encodable {
    case string(String)
    case number(Double)
    case object([String: JSONText])

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value): try container.encode(Int64(value))
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
