import Foundation
import Hummingbird
import Logging

/// Everything the route handlers share.
struct FrontEndState: Sendable {
    let configuration: FrontEndConfiguration
    let users: UserStore
    let accountThrottle: AccountThrottle
    let addressThrottle: AddressThrottle
    let audit: AuditLog
    let sessions: SessionCookies
    let tracker: VerificationTracker
    let objects: ObjectStore
    let enrolments: EnrolmentTracker
    let enroller: ObjectEnroller
    /// Set by `edgefactor demo` only.
    let demoCamera: (any DemoCameraControl)?
    /// Verifications the last stop of the front-end interrupted (their pages say so).
    let interrupted: Set<String>
    let renderer: PageRenderer
    /// bcrypt hash of a random password, checked when the user name is unknown (equal timing).
    let dummyHash: String
    let metrics: FrontEndMetrics
    let logger: Logger

    /// The client's address: the TCP peer, or the last `X-Forwarded-For` hop when a trusted
    /// reverse proxy sits in front (configuration).
    func clientAddress(_ request: Request, _ context: FrontEndRequestContext) -> String {
        if configuration.trustForwardedFor,
           let forwarded = request.headers.value(of: "X-Forwarded-For"),
           let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces),
           !last.isEmpty
        {
            return String(last.prefix(64))
        }
        return context.peerAddress ?? "unknown"
    }

    /// Appends to the audit log; a failure is logged, never shown to the user.
    func record(_ event: AuditEvent) async {
        // Not cancellable (AuditLog.record): a shutdown must not drop the record of a sign-in already decided.
        do { try await audit.record(event) } catch { logger.error("cannot write the audit log: \(error)") }
    }
}
