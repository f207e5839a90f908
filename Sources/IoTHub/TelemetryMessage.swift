public import Foundation

/// A device-to-cloud message: body bytes plus application and system properties.
public struct TelemetryMessage: Sendable, Equatable {
    public var body: Data
    /// Application properties (routing and filtering keys), sent percent-encoded in the topic.
    public var properties: [String: String]
    /// System property `$.ct`, e.g. `application/json` (needed for body-based routing on Azure).
    public var contentType: String?
    /// System property `$.ce`, e.g. `utf-8`.
    public var contentEncoding: String?
    /// System property `$.mid`.
    public var messageId: String?
    /// System property `$.cid`.
    public var correlationId: String?

    public init(
        body: Data,
        properties: [String: String] = [:],
        contentType: String? = nil,
        contentEncoding: String? = nil,
        messageId: String? = nil,
        correlationId: String? = nil
    ) {
        self.body = body
        self.properties = properties
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.messageId = messageId
        self.correlationId = correlationId
    }

    /// A JSON message (`$.ct=application/json`, `$.ce=utf-8`) from an encodable value.
    public static func json<T: Encodable>(_ value: T, properties: [String: String] = [:], messageId: String? = nil) throws -> TelemetryMessage {
        TelemetryMessage(
            body: try JSONEncoder().encode(value),
            properties: properties,
            contentType: "application/json",
            contentEncoding: "utf-8",
            messageId: messageId
        )
    }

    /// System properties as `$.xx` keys, in the order IoT Hub SDKs put them in the topic.
    public var systemProperties: [(key: String, value: String)] {
        var result: [(key: String, value: String)] = []
        if let messageId { result.append(("$.mid", messageId)) }
        if let correlationId { result.append(("$.cid", correlationId)) }
        if let contentType { result.append(("$.ct", contentType)) }
        if let contentEncoding { result.append(("$.ce", contentEncoding)) }
        return result
    }
}
