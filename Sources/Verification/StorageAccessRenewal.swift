import EdgeFactorSupport
public import Foundation

/// "Use this storage grant from now on": the device agent's new access to its own queues and
/// container, issued and sealed by the front-end with the device's secret
/// (`EnvelopeKind.storageAccess`). It travels as the `RenewStorageAccess` direct method, through the
/// module and the requests queue, like an enrolment. The grant inside is encrypted with the
/// device's secret, so neither the hub, the module nor the queue can read the SAS tokens.
///
/// The grant's type belongs to the storage client; this envelope carries its JSON, encrypted, so
/// that the shared library needs no storage code.
public struct StorageAccessRenewal: Codable, Sendable, Hashable {
    public var requestId: String
    public var deviceId: String
    public var moduleId: String?
    /// The grant's JSON, encrypted (``SharedSecret/encrypt(_:purpose:authenticating:)`` with purpose
    /// ``encryptionPurpose`` and the request id as context), base64url.
    public var grant: String
    public var issuedAt: Date
    public var expiresAt: Date
    public var nonce: String

    /// The direct method that carries a renewal.
    public static let method = "RenewStorageAccess"
    /// The key-derivation purpose of the grant's encryption.
    public static let encryptionPurpose = "storage-grant"
    /// Largest encrypted grant accepted.
    static let maximumGrantSize = 24 * 1024

    public init(requestId: String, deviceId: String, moduleId: String?, grant: String, issuedAt: Date, expiresAt: Date, nonce: String) {
        self.requestId = requestId
        self.deviceId = deviceId
        self.moduleId = moduleId
        self.grant = grant
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.nonce = nonce
    }

    /// A renewal of `grantJSON` for `deviceId`, encrypted with the device's secret. It lives as
    /// long as a removal (ten minutes), so a device that is briefly away still receives it.
    public static func make(grantJSON: Data, deviceId: String, moduleId: String?, secret: SharedSecret, now: Date = Date()) throws -> StorageAccessRenewal {
        let requestId = RandomID.hex128()
        let sealed = try secret.encrypt(grantJSON, purpose: encryptionPurpose, authenticating: Data(requestId.utf8))
        let renewal = StorageAccessRenewal(
            requestId: requestId, deviceId: deviceId, moduleId: moduleId, grant: Base64URL.encode(sealed),
            issuedAt: now, expiresAt: now.addingTimeInterval(VerificationRequest.maximumLifetime), nonce: Base64URL.random(byteCount: 16))
        try renewal.validate(now: now)
        return renewal
    }

    /// The grant's JSON, decrypted with the device's secret.
    public func grantJSON(secret: SharedSecret) throws(VerificationError) -> Data {
        guard let sealed = Base64URL.decodeLenient(grant) else { throw .invalidField(name: "grant", reason: "not base64url") }
        return try secret.decrypt(sealed, purpose: Self.encryptionPurpose, authenticating: Data(requestId.utf8))
    }

    public func validate(now: Date = Date()) throws(VerificationError) {
        try FieldRules.requestId(requestId)
        try FieldRules.identityId(deviceId, name: "deviceId")
        if let moduleId { try FieldRules.identityId(moduleId, name: "moduleId") }
        try FieldRules.nonce(nonce)
        guard !grant.isEmpty, grant.utf8.count <= Self.maximumGrantSize else {
            throw .invalidField(name: "grant", reason: "must be 1 to \(Self.maximumGrantSize) bytes")
        }
        let lifetime = expiresAt.timeIntervalSince(issuedAt)
        guard lifetime > 0, lifetime <= VerificationRequest.maximumLifetime else {
            throw .invalidField(name: "expiresAt", reason: "lifetime must be between 0 and \(Int(VerificationRequest.maximumLifetime)) s")
        }
        guard issuedAt.timeIntervalSince(now) <= VerificationRequest.allowedClockSkew else { throw .notYetValid(at: issuedAt) }
        guard now < expiresAt else { throw .expired(at: expiresAt) }
    }
}
