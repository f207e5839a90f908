public import Foundation

/// How an enrolment ended.
public enum EnrolmentOutcome: String, Codable, Sendable {
    /// A template was built and kept on the device.
    case enrolled
    /// The capture was not usable; `reason` says why and what to do.
    case refused
}

/// The device's answer to an `EnrolmentRequest`, sealed with the device's secret
/// (`EnvelopeKind.enrolmentResult`) and stored at `{requestId}/enrolment.json`. The template itself
/// never leaves the device: only its id, a thumbnail (its SHA-256 here) and the quality figures.
public struct EnrolmentResult: Codable, Sendable, Hashable {
    public var requestId: String
    public var deviceId: String
    public var accountRef: String
    public var outcome: EnrolmentOutcome
    /// The new template's id (enrolled only).
    public var templateId: String?
    /// Why the enrolment was refused, in words for the person (refused only).
    public var reason: String?
    public var quality: TemplateQuality
    /// Lowercase hex SHA-256 of the thumbnail JPEG (enrolled only).
    public var thumbnailSHA256: String?
    /// Where the thumbnail was stored (enrolled only).
    public var thumbnailBlob: String?
    public var completedAt: Date
    /// The container the agent stored the result in, when it is not the configured default.
    public var container: String?

    public init(
        requestId: String, deviceId: String, accountRef: String, outcome: EnrolmentOutcome, templateId: String?,
        reason: String?, quality: TemplateQuality, thumbnailSHA256: String?, thumbnailBlob: String?,
        completedAt: Date, container: String? = nil
    ) {
        self.requestId = requestId
        self.deviceId = deviceId
        self.accountRef = accountRef
        self.outcome = outcome
        self.templateId = templateId
        self.reason = reason
        self.quality = quality
        self.thumbnailSHA256 = thumbnailSHA256
        self.thumbnailBlob = thumbnailBlob
        self.completedAt = completedAt
        self.container = container
    }

    /// Checks the fields, and that this result answers `request` (same id, device and account).
    public func validate(answering request: EnrolmentRequest) throws(VerificationError) {
        try FieldRules.requestId(requestId)
        guard requestId == request.requestId else { throw .invalidField(name: "requestId", reason: "answers another enrolment") }
        guard deviceId == request.deviceId else { throw .invalidField(name: "deviceId", reason: "comes from another device") }
        guard accountRef == request.accountRef else { throw .invalidField(name: "accountRef", reason: "belongs to another account") }
        if let container { try FieldRules.storageName(container, name: "container") }
        try quality.validate()
        let skew = VerificationRequest.allowedClockSkew
        guard completedAt >= request.issuedAt.addingTimeInterval(-skew), completedAt <= request.expiresAt.addingTimeInterval(skew) else {
            throw .invalidField(name: "completedAt", reason: "lies outside the enrolment's lifetime")
        }
        switch outcome {
        case .enrolled:
            guard let templateId else { throw .invalidField(name: "templateId", reason: "missing for an enrolled object") }
            try FieldRules.hex128(templateId, name: "templateId")
            guard let thumbnailSHA256 else { throw .invalidField(name: "thumbnailSHA256", reason: "missing for an enrolled object") }
            try FieldRules.sha256Hex(thumbnailSHA256)
            guard quality.views >= EnrolmentRequest.viewRange.lowerBound else {
                throw .invalidField(name: "quality", reason: "an enrolled template needs at least \(EnrolmentRequest.viewRange.lowerBound) views")
            }
        case .refused:
            guard let reason, (1...300).contains(reason.count) else { throw .invalidField(name: "reason", reason: "a refusal says why in 1–300 characters") }
        }
    }
}
