import EdgeFactorSupport
public import Foundation

/// One challenge: "show `className` to device `deviceId` with at least `threshold` % confidence
/// before `expiresAt`". Created and sealed by the front-end with the device's secret.
///
/// With a `templateId` the challenge is the person's own enrolled object: `className` is the name
/// they gave it, `threshold` is the similarity (in percent) each matching frame must reach, and the
/// agent matches frames against that template, which must belong to `accountRef` on this device.
public struct VerificationRequest: Codable, Sendable, Hashable {
    /// Clock skew tolerated between the front-end and the edge device.
    public static let allowedClockSkew: TimeInterval = 30
    /// The longest lifetime a request may have.
    public static let maximumLifetime: TimeInterval = 600

    public var requestId: String
    public var deviceId: String
    public var moduleId: String?
    public var className: String
    /// Minimum confidence, in percent (1–100).
    public var threshold: Double
    public var issuedAt: Date
    public var expiresAt: Date
    public var nonce: String
    /// The personal-object template to match (absent for class challenges).
    public var templateId: String?
    /// The account the template belongs to (`AccountReference`); required with `templateId`.
    public var accountRef: String?

    public init(
        requestId: String, deviceId: String, moduleId: String?, className: String, threshold: Double,
        issuedAt: Date, expiresAt: Date, nonce: String, templateId: String? = nil, accountRef: String? = nil
    ) {
        self.requestId = requestId
        self.deviceId = deviceId
        self.moduleId = moduleId
        self.className = className
        self.threshold = threshold
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.nonce = nonce
        self.templateId = templateId
        self.accountRef = accountRef
    }

    /// Whether the challenge is a personal object rather than a class.
    public var isPersonalObject: Bool { templateId != nil }

    /// A new request with a 128-bit random id and nonce, validated.
    public static func make(
        deviceId: String, moduleId: String?, className: String, threshold: Double,
        lifetime: Duration = .seconds(60), now: Date = Date(), templateId: String? = nil, accountRef: String? = nil
    ) throws(VerificationError) -> VerificationRequest {
        let seconds = lifetime.inSeconds
        let request = VerificationRequest(
            requestId: RandomID.hex128(), deviceId: deviceId, moduleId: moduleId, className: className,
            threshold: threshold, issuedAt: now, expiresAt: now.addingTimeInterval(seconds),
            nonce: Base64URL.random(byteCount: 16), templateId: templateId, accountRef: accountRef
        )
        try request.validate(now: now)
        return request
    }

    /// Checks every field and that the request is live at `now`.
    public func validate(now: Date = Date()) throws(VerificationError) {
        try FieldRules.requestId(requestId)
        try FieldRules.identityId(deviceId, name: "deviceId")
        if let moduleId { try FieldRules.identityId(moduleId, name: "moduleId") }
        try FieldRules.className(className)
        try FieldRules.threshold(threshold)
        try FieldRules.nonce(nonce)
        if let templateId {
            try FieldRules.hex128(templateId, name: "templateId")
            guard let accountRef else { throw .invalidField(name: "accountRef", reason: "is required with a templateId") }
            try FieldRules.hex128(accountRef, name: "accountRef")
        }
        let lifetime = expiresAt.timeIntervalSince(issuedAt)
        guard lifetime > 0, lifetime <= Self.maximumLifetime else {
            throw .invalidField(name: "expiresAt", reason: "lifetime must be between 0 and \(Int(Self.maximumLifetime)) s")
        }
        guard issuedAt.timeIntervalSince(now) <= Self.allowedClockSkew else { throw .notYetValid(at: issuedAt) }
        guard now < expiresAt else { throw .expired(at: expiresAt) }
    }
}

/// Random identifiers from the system's CSPRNG.
package enum RandomID {
    /// 128 random bits as 32 lowercase hex digits.
    package static func hex128() -> String {
        var generator = SystemRandomNumberGenerator()
        let a = generator.next() as UInt64, b = generator.next() as UInt64
        return String(format: "%016llx%016llx", a, b)
    }
}
