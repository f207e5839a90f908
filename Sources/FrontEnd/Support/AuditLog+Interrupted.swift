import Foundation
import GRDB

extension AuditLog {
    /// Gives every verification that was requested but never completed, within `window` before
    /// `now`, its outcome: `interrupted` (the front-end stopped while it ran: sessions and pending
    /// verifications live in memory). Returns their request ids, with those a graceful stop closed
    /// as interrupted itself, so that their pages can say so.
    /// Called once at start, before any new verification begins.
    func closeInterrupted(now: Date = Date(), window: TimeInterval = 24 * 3600) async throws -> Set<String> {
        try await database.writer.write { db in
            let open = try AuditEvent.fetchAll(db, sql: """
                SELECT * FROM auditEvent AS requested
                WHERE requested.kind = ? AND requested.at >= ? AND requested.requestId IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM auditEvent AS completed WHERE completed.kind = ? AND completed.requestId = requested.requestId)
                ORDER BY requested.id LIMIT 10000
                """, arguments: [AuditEvent.Kind.verificationRequested.rawValue, now.addingTimeInterval(-window), AuditEvent.Kind.verificationCompleted.rawValue])
            for requested in open {
                var completed = AuditEvent(
                    at: now, kind: .verificationCompleted, username: requested.username, address: requested.address,
                    requestId: requested.requestId, deviceId: requested.deviceId, className: requested.className,
                    outcome: VerificationPhase.interrupted.rawValue, detail: "the front-end restarted before the result arrived; the person must sign in again")
                try completed.insert(db)
            }
            // Also those a graceful stop already closed as interrupted.
            let closed = try String.fetchAll(db, sql: """
                SELECT requestId FROM auditEvent WHERE kind = ? AND outcome = ? AND at >= ? AND requestId IS NOT NULL LIMIT 10000
                """, arguments: [AuditEvent.Kind.verificationCompleted.rawValue, VerificationPhase.interrupted.rawValue, now.addingTimeInterval(-window)])
            return Set(open.compactMap(\.requestId)).union(closed)
        }
    }
}
