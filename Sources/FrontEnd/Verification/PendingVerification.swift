import Foundation
import Verification

/// One verification in flight or recently finished, as the tracker holds it.
struct PendingVerification: Sendable {
    let request: VerificationRequest
    let username: String
    let address: String
    /// The session that started it; only that session may watch it, see its image, or use it.
    let sessionKey: String
    var phase: VerificationPhase = .sending
    /// Best confidence the device reported, in percent.
    var confidence: Double?
    /// The validated evidence image (found only).
    var image: Data?
    var finishedAt: Date?
    /// Set once the session has been upgraded with this result: a result is good for one sign-in.
    var consumed = false

    var requestId: String { request.requestId }
}
