public import Foundation

/// Whether the requested object was seen before the request expired.
public enum VerificationOutcome: String, Codable, Sendable {
    case found
    case notFound = "not-found"
    /// The camera delivered no frames: the device could not look (not a failed second factor).
    case cameraUnavailable = "camera-unavailable"
}

/// The device's answer to one request, sealed by the agent with the device's secret. For `found`, it
/// binds the evidence image (its SHA-256) to the request, the device, the class and the score.
public struct VerificationResult: Codable, Sendable, Hashable {
    public var requestId: String
    public var deviceId: String
    public var className: String
    public var outcome: VerificationOutcome
    /// Best confidence seen for the class, in percent.
    public var confidence: Double
    /// Lowercase hex SHA-256 of the uploaded JPEG (found only).
    public var imageSHA256: String?
    /// Where the image was stored (found only).
    public var blobName: String?
    public var capturedAt: Date
    /// The container the agent stored the evidence in, when it is not the configured default (the
    /// module's settings can move it); covered by the device's signature. Absent in older results.
    public var container: String?
    /// The personal-object template the frames were matched against (then `confidence` is the
    /// similarity in percent); absent for class challenges.
    public var templateId: String?

    public init(
        requestId: String, deviceId: String, className: String, outcome: VerificationOutcome,
        confidence: Double, imageSHA256: String?, blobName: String?, capturedAt: Date, container: String? = nil,
        templateId: String? = nil
    ) {
        self.requestId = requestId
        self.deviceId = deviceId
        self.className = className
        self.outcome = outcome
        self.confidence = confidence
        self.imageSHA256 = imageSHA256
        self.blobName = blobName
        self.capturedAt = capturedAt
        self.container = container
        self.templateId = templateId
    }

    /// Checks the fields, and that this result answers `request` (same id, device and class; a
    /// `found` result meets the threshold and carries an image digest).
    public func validate(answering request: VerificationRequest) throws(VerificationError) {
        try FieldRules.requestId(requestId)
        try FieldRules.identityId(deviceId, name: "deviceId")
        try FieldRules.confidence(confidence)
        if let container { try FieldRules.storageName(container, name: "container") }
        guard requestId == request.requestId else { throw .invalidField(name: "requestId", reason: "answers another request") }
        guard deviceId == request.deviceId else { throw .invalidField(name: "deviceId", reason: "comes from another device") }
        guard className.caseInsensitiveCompare(request.className) == .orderedSame else {
            throw .invalidField(name: "className", reason: "is not the class that was asked for")
        }
        guard templateId == request.templateId else {
            throw .invalidField(name: "templateId", reason: "is not the personal object that was asked for")
        }
        let skew = VerificationRequest.allowedClockSkew
        guard capturedAt >= request.issuedAt.addingTimeInterval(-skew),
              capturedAt <= request.expiresAt.addingTimeInterval(skew)
        else { throw .invalidField(name: "capturedAt", reason: "lies outside the request's lifetime") }
        if outcome == .found {
            guard confidence >= request.threshold else {
                throw .invalidField(name: "confidence", reason: "\(confidence) % is below the threshold of \(request.threshold) %")
            }
            guard let imageSHA256 else { throw .invalidField(name: "imageSHA256", reason: "missing for a found result") }
            try FieldRules.sha256Hex(imageSHA256)
        }
    }
}
