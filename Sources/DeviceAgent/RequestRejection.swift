import Verification

/// Why the agent refused a queue message, and what happens to the message.
struct RequestRejection: Error, CustomStringConvertible, Sendable {
    /// A short, stable label for logs and the `reason` label of the rejected-requests metric.
    enum Reason: String, Sendable, CaseIterable {
        case malformed, badSignature = "bad-signature", unknownKey = "unknown-key", wrongKind = "wrong-kind"
        case wrongDevice = "wrong-device", invalidField = "invalid-field", expired, notYetValid = "not-yet-valid"
        case replayed, legacyDisabled = "legacy-disabled", tooManyAttempts = "too-many-attempts"
        /// Module settings of a revision not newer than the one applied (a replay or a late copy).
        case staleSettings = "stale-settings"
        /// A message for another device, on a queue several devices read: left for its agent.
        case otherDevice = "other-device"
    }

    var reason: Reason
    /// What was wrong and what to check.
    var detail: String

    init(_ reason: Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    /// Maps a verification failure to a rejection.
    init(_ error: VerificationError, context: String) {
        let reason: Reason = switch error {
        case .badSignature: .badSignature
        case .wrongKind: .wrongKind
        case .expired: .expired
        case .notYetValid: .notYetValid
        case .replayed, .replayCacheFull: .replayed
        case .invalidField: .invalidField
        case .malformed, .unsupportedVersion, .weakSecret: .malformed
        }
        self.init(reason, "\(context): \(error)")
    }

    /// Whether the message goes to the dead-letter queue (kept as evidence for an operator) rather
    /// than being deleted. Expired and replayed messages carry nothing worth keeping.
    var deadLetters: Bool {
        switch reason {
        case .expired, .replayed, .staleSettings, .otherDevice: false
        default: true
        }
    }

    /// Whether the message belongs to another device's agent and must stay on the queue as it is:
    /// neither deleted nor dead-lettered, and its deliveries not counted against it here.
    var leavesUntouched: Bool { reason == .otherDevice }

    var description: String { "\(reason.rawValue): \(detail)" }
}
