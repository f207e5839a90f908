public import Foundation

/// The body of the `ProcessRequest` direct method.
///
/// Reads the original's fields — `CoorelationId` (sic; `CorrelationId` is accepted too),
/// `ClassName`, `ThresholdPercentage` as a string or a number — plus EdgeFactor's `Request`, the
/// front-end's sealed `VerificationRequest`. Writes the correct spelling.
public struct ProcessRequestPayload: Codable, Sendable, Hashable {
    /// Direct-method bodies larger than this are refused (IoT Hub allows 128 KB).
    public static let maximumEncodedSize = 128 * 1024

    public var correlationId: String
    public var className: String
    public var thresholdPercentage: Double
    public var request: SignedEnvelope?

    public init(correlationId: String, className: String, thresholdPercentage: Double, request: SignedEnvelope?) {
        self.correlationId = correlationId
        self.className = className
        self.thresholdPercentage = thresholdPercentage
        self.request = request
    }

    /// The payload for a sealed request.
    public init(request: VerificationRequest, envelope: SignedEnvelope) {
        self.init(correlationId: request.requestId, className: request.className, thresholdPercentage: request.threshold, request: envelope)
    }

    enum CodingKeys: String, CodingKey {
        case correlationId = "CorrelationId"
        case legacyCorrelationId = "CoorelationId"
        case className = "ClassName"
        case thresholdPercentage = "ThresholdPercentage"
        case request = "Request"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let id = try c.decodeIfPresent(String.self, forKey: .correlationId) {
            correlationId = id
        } else if let id = try c.decodeIfPresent(String.self, forKey: .legacyCorrelationId) {
            correlationId = id
        } else {
            throw DecodingError.keyNotFound(CodingKeys.correlationId, .init(codingPath: c.codingPath, debugDescription: "CorrelationId (or CoorelationId) is required"))
        }
        className = try c.decode(String.self, forKey: .className)
        if let number = try? c.decode(Double.self, forKey: .thresholdPercentage) {
            thresholdPercentage = number
        } else {
            let text = try c.decode(String.self, forKey: .thresholdPercentage)
            guard let number = Double(text.trimmingCharacters(in: .whitespaces)) else {
                throw DecodingError.dataCorruptedError(forKey: .thresholdPercentage, in: c, debugDescription: "not a number: \(text.prefix(20))")
            }
            thresholdPercentage = number
        }
        request = try c.decodeIfPresent(SignedEnvelope.self, forKey: .request)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(correlationId, forKey: .correlationId)
        try c.encode(className, forKey: .className)
        try c.encode(thresholdPercentage, forKey: .thresholdPercentage)
        try c.encodeIfPresent(request, forKey: .request)
    }

    /// Parses and validates a direct-method body.
    public static func decode(_ data: some DataProtocol) throws(VerificationError) -> ProcessRequestPayload {
        guard data.count <= maximumEncodedSize else { throw .malformed("payload exceeds \(maximumEncodedSize) bytes") }
        let payload = try CanonicalJSON.decode(ProcessRequestPayload.self, from: Data(data))
        try payload.validate()
        return payload
    }

    /// Checks the plain fields (the sealed request is checked by whoever holds its key).
    public func validate() throws(VerificationError) {
        try FieldRules.requestId(correlationId)
        try FieldRules.className(className)
        try FieldRules.threshold(thresholdPercentage)
    }

    /// The body as JSON.
    public func jsonData() throws -> Data { try CanonicalJSON.encode(self) }
}
