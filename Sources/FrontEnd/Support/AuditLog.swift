package import Foundation
package import GRDB

/// One line of the audit log: who did what, when, from where, and how it ended.
package struct AuditEvent: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    package static let databaseTableName = "auditEvent"

    /// What happened.
    package enum Kind: String, Codable, Sendable, CaseIterable {
        case passwordAccepted = "password-accepted"
        case passwordRejected = "password-rejected"
        case throttled
        case verificationRequested = "verification-requested"
        case verificationCompleted = "verification-completed"
        case signedIn = "signed-in"
        case signedOut = "signed-out"
        case accountChanged = "account-changed"
        /// A personal object enrolled, refused, renamed or removed (`outcome` says which).
        case objectChanged = "object-changed"
        /// An administrator's action on the admin pages: ``AuditEvent/actor`` did `outcome`
        /// (`locked`, `unlocked`, `password-reset`, `object-removed`, `dead-letter-requeued`, ...)
        /// to `username` or `deviceId`.
        case adminAction = "admin-action"
    }

    package var id: Int64?
    package var at: Date
    package var kind: Kind
    package var username: String?
    package var address: String?
    package var requestId: String?
    package var deviceId: String?
    package var className: String?
    /// Percent, when the device reported one.
    package var confidence: Double?
    /// `ok`, `failed`, `found`, `not-found`, `device-offline`, `timed-out`, `locked`, ...
    package var outcome: String
    package var detail: String?
    /// The administrator who acted, for ``Kind/adminAction`` (nil otherwise).
    package var actor: String?

    package init(
        at: Date = Date(), kind: Kind, username: String?, address: String? = nil, requestId: String? = nil,
        deviceId: String? = nil, className: String? = nil, confidence: Double? = nil, outcome: String, detail: String? = nil,
        actor: String? = nil
    ) {
        self.actor = actor
        self.at = at
        self.kind = kind
        self.username = username
        self.address = address
        self.requestId = requestId
        self.deviceId = deviceId
        self.className = className
        self.confidence = confidence
        self.outcome = outcome
        self.detail = detail
    }

    package mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// The audit log of sign-ins and verifications, in the front-end's SQLite database.
///
/// Append-only from the server; read by `edgefactor frontend audit`.
public struct AuditLog: Sendable {
    let database: FrontEndDatabase

    public init(database: FrontEndDatabase) {
        self.database = database
    }

    /// Appends `event`. Failures to write are returned to the caller, which logs them: a sign-in
    /// is not refused because the audit disk is full, but the operator hears about it.
    ///
    /// Not cancellable: a shutdown cancelling the request must not drop the record of a sign-in
    /// already decided, so the write is GRDB's callback form (which cancellation does not reach),
    /// awaited in the caller's task.
    package func record(_ event: AuditEvent) async throws {
        var event = event
        // Bound free-text fields: they may echo what a client typed.
        event.username = event.username.map { String($0.prefix(64)) }
        event.detail = event.detail.map { String($0.prefix(500)) }
        event.actor = event.actor.map { String($0.prefix(64)) }
        let bounded = event
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            database.writer.asyncWrite({ db in
                var copy = bounded
                try copy.insert(db)
            }, completion: { _, result in continuation.resume(with: result) })
        }
    }

    /// The most recent events first, optionally only one user's, at most `limit`.
    package func recent(username: String? = nil, since: Date? = nil, limit: Int = 100) async throws -> [AuditEvent] {
        try await database.writer.read { db in
            var request = AuditEvent.all()
            if let username { request = request.filter(Column("username").collating(.nocase) == username) }
            if let since { request = request.filter(Column("at") >= since) }
            return try request.order(Column("id").desc).limit(max(1, min(limit, 100_000))).fetchAll(db)
        }
    }
}
