public import Foundation

/// The body of the `EnrollObject`, `RemoveObject` and `RenewStorageAccess` direct methods: the
/// correlation id and the front-end's sealed request. The module checks what it can without the
/// device's key (kind, addressee, expiry) and queues it for the agent inside a `QueuedRequest`.
public struct SealedMethodPayload: Codable, Sendable, Hashable {
    /// The direct method that enrols a personal object.
    public static let enrolMethod = "EnrollObject"
    /// The direct method that erases a personal object's template.
    public static let removeMethod = "RemoveObject"

    public var correlationId: String
    public var request: SignedEnvelope
    /// `RenewStorageAccess` only: the module's own new storage grant, as JSON. It is not sealed:
    /// the module has no secret in common with the front-end, and only holders of the hub's
    /// service credentials can invoke the method; the module accepts it only for the account it
    /// already uses (see the module's storage access).
    public var moduleGrant: String?

    public init(correlationId: String, request: SignedEnvelope, moduleGrant: String? = nil) {
        self.correlationId = correlationId
        self.request = request
        self.moduleGrant = moduleGrant
    }

    enum CodingKeys: String, CodingKey {
        case correlationId = "CorrelationId"
        case request = "Request"
        case moduleGrant = "ModuleGrant"
    }

    /// Parses a direct-method body, refusing oversized input.
    public static func decode(_ data: some DataProtocol) throws(VerificationError) -> SealedMethodPayload {
        guard data.count <= ProcessRequestPayload.maximumEncodedSize else { throw .malformed("payload exceeds \(ProcessRequestPayload.maximumEncodedSize) bytes") }
        let payload = try CanonicalJSON.decode(SealedMethodPayload.self, from: Data(data))
        try FieldRules.requestId(payload.correlationId)
        return payload
    }

    public func jsonData() throws -> Data { try CanonicalJSON.encode(self) }
}
