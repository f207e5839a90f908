import Foundation
import Verification

/// Opens a requests-queue message: checks the module's HMAC and expiry on the queued envelope, then
/// the front-end's HMAC, the fields, the freshness and the addressee of the request inside.
///
/// Replay (a nonce seen twice) is decided by the agent, which also knows which requests are
/// pending and which are answered; see ``DeviceAgent``.
struct RequestIntake: Sendable {
    /// A request that passed every check.
    struct Accepted: Sendable {
        var request: VerificationRequest
        /// The earlier of the request's and the queued envelope's expiry.
        var deadline: Date
        /// When the module queued it (nil for legacy messages).
        var enqueuedAt: Date?
        /// True for the original pipe-separated format (accepted only in legacy mode).
        var legacy: Bool
    }

    /// Messages longer than this are refused before parsing.
    static let maximumMessageSize = SignedEnvelope.maximumEncodedSize

    let deviceId: String
    let deviceSecret: SharedSecret
    /// The secrets of the modules allowed to queue requests for this device, by key id (module id).
    let moduleSecrets: [String: SharedSecret]
    /// Accept `requestId|className|threshold|key` messages (no signature, no expiry).
    let acceptLegacy: Bool
    /// Lifetime given to legacy requests, which carry none.
    let legacyLifetime: TimeInterval

    func open(_ text: String, now: Date = Date()) throws(RequestRejection) -> Accepted {
        guard text.utf8.count <= Self.maximumMessageSize else {
            throw RequestRejection(.malformed, "message of \(text.utf8.count) bytes exceeds \(Self.maximumMessageSize)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("{") else { return try openLegacy(trimmed, now: now) }

        let outer: SignedEnvelope
        do { outer = try SignedEnvelope.decode(Data(trimmed.utf8)) } catch {
            throw RequestRejection(error, context: "queue message")
        }
        let queued = try openQueued(outer, now: now)
        let inner = queued.request
        let request: VerificationRequest
        do {
            request = try inner.open(VerificationRequest.self, kind: .request, secret: deviceSecret)
            try request.validate(now: now)
        } catch {
            throw RequestRejection(error, context: "request envelope")
        }
        guard request.deviceId == deviceId else {
            throw RequestRejection(.wrongDevice, "request addressed to device '\(request.deviceId)', this agent is '\(deviceId)'")
        }
        if let moduleId = request.moduleId, moduleId != outer.keyId {
            throw RequestRejection(.wrongDevice, "request addressed to module '\(moduleId)' but queued by module '\(outer.keyId)'")
        }
        return Accepted(request: request, deadline: min(request.expiresAt, queued.expiresAt), enqueuedAt: queued.enqueuedAt, legacy: false)
    }

    /// Checks the module's HMAC and expiry on a queued envelope, and that what it carries was
    /// sealed for this device.
    func openQueued(_ outer: SignedEnvelope, now: Date) throws(RequestRejection) -> QueuedRequest {
        // Before any signature: on a queue several devices read, every module's messages arrive
        // here, and a module of another device may share this one's id but not its secret. What
        // it carries names its device; a message for another device is left for that device's
        // agent (a forged name gains nothing: the message only stays on the queue until it expires).
        if outer.kind == EnvelopeKind.queuedRequest.rawValue, let peeked = try? outer.peek(QueuedRequest.self), peeked.request.keyId != deviceId {
            throw RequestRejection(.otherDevice, "\(peeked.request.kind.prefix(32)) sealed for device '\(peeked.request.keyId.prefix(128))', this agent is '\(deviceId)'")
        }
        guard let moduleSecret = moduleSecrets[outer.keyId] else {
            throw RequestRejection(.unknownKey, "queue message signed with key '\(outer.keyId.prefix(128))', which this agent does not hold: provision the module's secret with `edgefactor secrets` and pass it to the agent")
        }
        let queued: QueuedRequest
        do {
            queued = try outer.open(QueuedRequest.self, kind: .queuedRequest, secret: moduleSecret)
            try queued.validate(now: now)
        } catch {
            throw RequestRejection(error, context: "queued envelope from module '\(outer.keyId)'")
        }
        guard queued.request.keyId == deviceId else {
            throw RequestRejection(.wrongDevice, "\(queued.request.kind) sealed for device '\(queued.request.keyId.prefix(128))', this agent is '\(deviceId)'")
        }
        return queued
    }

    private func openLegacy(_ text: String, now: Date) throws(RequestRejection) -> Accepted {
        guard acceptLegacy else {
            throw RequestRejection(.legacyDisabled, "not a signed envelope; the original pipe-separated format is accepted only with the agent's legacy option (--accept-legacy-messages)")
        }
        let legacy: LegacyQueueMessage
        do { legacy = try LegacyQueueMessage(parsing: text) } catch {
            throw RequestRejection(error, context: "legacy message")
        }
        // The legacy format has no nonce or expiry: the agent gives it a lifetime from now and
        // derives the nonce from the id so that a second copy is still recognised as a duplicate.
        let request = VerificationRequest(
            requestId: legacy.requestId, deviceId: deviceId, moduleId: nil, className: legacy.className,
            threshold: legacy.threshold, issuedAt: now, expiresAt: now.addingTimeInterval(legacyLifetime),
            nonce: "legacy-" + legacy.requestId.replacingOccurrences(of: "-", with: ""))
        return Accepted(request: request, deadline: request.expiresAt, enqueuedAt: nil, legacy: true)
    }
}
