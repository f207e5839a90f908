import Foundation
import Verification

/// One enrolment in flight or recently finished, as the tracker holds it.
struct PendingEnrolment: Sendable {
    let request: EnrolmentRequest
    let username: String
    let address: String
    /// The session that started it; only that session may watch it.
    let sessionKey: String
    var status = EnrolmentStatus(phase: .sending)
    var finishedAt: Date?

    var requestId: String { request.requestId }
}
