import EdgeFactorSupport
public import Foundation

/// What the edge module puts on the requests queue, sealed with the per-module secret
/// (`EnvelopeKind.queuedRequest`). It wraps the front-end's sealed request untouched, so the agent
/// checks both the module's HMAC (the queue message is genuine) and the front-end's (the request is).
public struct QueuedRequest: Codable, Sendable, Hashable {
    /// The front-end's envelope (`EnvelopeKind.request`, sealed with the device's secret).
    public var request: SignedEnvelope
    public var enqueuedAt: Date
    public var expiresAt: Date
    public var nonce: String

    public init(request: SignedEnvelope, enqueuedAt: Date, expiresAt: Date, nonce: String) {
        self.request = request
        self.enqueuedAt = enqueuedAt
        self.expiresAt = expiresAt
        self.nonce = nonce
    }

    /// Wraps `request`, expiring with the request it carries.
    public static func make(wrapping request: SignedEnvelope, expiresAt: Date, now: Date = Date()) -> QueuedRequest {
        QueuedRequest(request: request, enqueuedAt: now, expiresAt: expiresAt, nonce: Base64URL.random(byteCount: 16))
    }

    /// Checks the nonce and that the message is live at `now`.
    public func validate(now: Date = Date()) throws(VerificationError) {
        try FieldRules.nonce(nonce)
        guard enqueuedAt.timeIntervalSince(now) <= VerificationRequest.allowedClockSkew else { throw .notYetValid(at: enqueuedAt) }
        guard now < expiresAt else { throw .expired(at: expiresAt) }
    }
}
