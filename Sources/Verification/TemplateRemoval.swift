import EdgeFactorSupport
public import Foundation

/// "Erase template `templateId` of `accountRef` from this device". Sealed by the front-end with the
/// device's secret (`EnvelopeKind.templateRemoval`); it travels as the `RemoveObject` direct method,
/// through the module and the requests queue. The front-end stops challenging a removed object at
/// once; this message makes the device forget it too.
public struct TemplateRemoval: Codable, Sendable, Hashable {
    public var requestId: String
    public var deviceId: String
    public var moduleId: String?
    public var accountRef: String
    public var templateId: String
    public var issuedAt: Date
    public var expiresAt: Date
    public var nonce: String

    public init(
        requestId: String, deviceId: String, moduleId: String?, accountRef: String, templateId: String,
        issuedAt: Date, expiresAt: Date, nonce: String
    ) {
        self.requestId = requestId
        self.deviceId = deviceId
        self.moduleId = moduleId
        self.accountRef = accountRef
        self.templateId = templateId
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.nonce = nonce
    }

    /// A new removal with a random id and nonce. It lives long (ten minutes) so that a device that
    /// is briefly away still receives it from the queue.
    public static func make(deviceId: String, moduleId: String?, accountRef: String, templateId: String, now: Date = Date()) throws(VerificationError) -> TemplateRemoval {
        let removal = TemplateRemoval(
            requestId: RandomID.hex128(), deviceId: deviceId, moduleId: moduleId, accountRef: accountRef,
            templateId: templateId, issuedAt: now, expiresAt: now.addingTimeInterval(VerificationRequest.maximumLifetime),
            nonce: Base64URL.random(byteCount: 16))
        try removal.validate(now: now)
        return removal
    }

    public func validate(now: Date = Date()) throws(VerificationError) {
        try FieldRules.requestId(requestId)
        try FieldRules.identityId(deviceId, name: "deviceId")
        if let moduleId { try FieldRules.identityId(moduleId, name: "moduleId") }
        try FieldRules.hex128(accountRef, name: "accountRef")
        try FieldRules.hex128(templateId, name: "templateId")
        try FieldRules.nonce(nonce)
        let lifetime = expiresAt.timeIntervalSince(issuedAt)
        guard lifetime > 0, lifetime <= VerificationRequest.maximumLifetime else {
            throw .invalidField(name: "expiresAt", reason: "lifetime must be between 0 and \(Int(VerificationRequest.maximumLifetime)) s")
        }
        guard issuedAt.timeIntervalSince(now) <= VerificationRequest.allowedClockSkew else { throw .notYetValid(at: issuedAt) }
        guard now < expiresAt else { throw .expired(at: expiresAt) }
    }
}
