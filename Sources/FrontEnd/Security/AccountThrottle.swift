import EdgeFactorSupport
import Foundation
import GRDB

/// Throttles failed first factors per account name, in SQLite so that a restart does not reset it.
///
/// NIST SP 800-63B 5.2.2: at most 100 consecutive failures before lockout. The first
/// `freeFailures` failures cost nothing; each later one doubles the wait before the next attempt
/// (capped); at `lockoutAfter` consecutive failures the name is locked until an administrator
/// runs `edgefactor users set NAME --unlock` (or sets a new password). Only a sign-in that passes
/// both factors resets the count: a right password alone does not, so failed second factors add
/// up (``recordFailure(_:now:)``) whoever knows the password.
///
/// Rows exist for any name typed, account or not, so the answers are the same for both.
struct AccountThrottle: Sendable {
    let database: FrontEndDatabase
    let policy: ThrottlePolicy
    /// The time waits and lockouts are measured against (`now:` arguments override it).
    var clock: any WallClock = SystemWallClock()

    /// Whether `username` may try now (read only; sign-ins use ``begin(_:now:)``).
    func check(_ username: String, now: Date? = nil) async throws -> ThrottleDecision {
        let now = now ?? clock.now()
        let key = Self.key(username)
        let policy = self.policy
        return try await database.writer.read { db in try Self.decision(db, key: key, policy: policy, now: now) }
    }

    /// Admits one attempt for `username`, or says why not, in one transaction.
    ///
    /// An admitted attempt is counted as a failure at once, before the password is checked:
    /// otherwise concurrent attempts would all pass the check while the first was still being
    /// verified, and the waits would never apply to them. A right password takes the attempt
    /// back (``release(_:)``); a failure is confirmed with ``confirmFailure(_:now:)``.
    func begin(_ username: String, now: Date? = nil) async throws -> ThrottleDecision {
        let now = now ?? clock.now()
        let key = Self.key(username)
        let policy = self.policy
        return try await database.writer.write { db in
            let decision = try Self.decision(db, key: key, policy: policy, now: now)
            guard decision == .allowed else { return decision }
            try Self.countFailure(db, key: key, now: now)
            return .allowed
        }
    }

    /// Confirms the failure that ``begin(_:now:)`` counted: the wait runs from now, and the name
    /// is locked if this was one failure too many.
    @discardableResult
    func confirmFailure(_ username: String, now: Date? = nil) async throws -> (consecutive: Int, locked: Bool) {
        let now = now ?? clock.now()
        let key = Self.key(username)
        let lockoutAfter = policy.lockoutAfter
        return try await database.writer.write { db in
            try db.execute(sql: "UPDATE loginFailure SET lastFailureAt = ? WHERE username = ?", arguments: [now, key])
            return try Self.lockIfDue(db, key: key, lockoutAfter: lockoutAfter, now: now)
        }
    }

    private static func decision(_ db: Database, key: String, policy: ThrottlePolicy, now: Date) throws -> ThrottleDecision {
        guard let row = try Row.fetchOne(db, sql: "SELECT consecutive, lastFailureAt, lockedAt FROM loginFailure WHERE username = ?", arguments: [key]) else {
            return .allowed
        }
        if (row["lockedAt"] as Date?) != nil { return .locked }
        let wait = policy.accountDelay(afterFailures: row["consecutive"])
        guard wait > 0 else { return .allowed }
        let until = (row["lastFailureAt"] as Date).addingTimeInterval(wait)
        return until > now ? .wait(until: until) : .allowed
    }

    private static func countFailure(_ db: Database, key: String, now: Date) throws {
        try db.execute(
            sql: """
                INSERT INTO loginFailure (username, consecutive, lastFailureAt) VALUES (?, 1, ?)
                ON CONFLICT(username) DO UPDATE SET consecutive = consecutive + 1, lastFailureAt = excluded.lastFailureAt
                """,
            arguments: [key, now]
        )
    }

    private static func lockIfDue(_ db: Database, key: String, lockoutAfter: Int, now: Date) throws -> (consecutive: Int, locked: Bool) {
        let count = try Int.fetchOne(db, sql: "SELECT consecutive FROM loginFailure WHERE username = ?", arguments: [key]) ?? 0
        guard count >= lockoutAfter else { return (count, false) }
        try db.execute(sql: "UPDATE loginFailure SET lockedAt = COALESCE(lockedAt, ?) WHERE username = ?", arguments: [now, key])
        return (count, true)
    }

    /// Counts one more failure that was not admitted through ``begin(_:now:)`` (a failed second
    /// factor); returns the count and whether the name is now locked.
    @discardableResult
    func recordFailure(_ username: String, now: Date? = nil) async throws -> (consecutive: Int, locked: Bool) {
        let now = now ?? clock.now()
        let key = Self.key(username)
        let lockoutAfter = policy.lockoutAfter
        return try await database.writer.write { db in
            try Self.countFailure(db, key: key, now: now)
            return try Self.lockIfDue(db, key: key, lockoutAfter: lockoutAfter, now: now)
        }
    }

    /// Takes back the attempt ``begin(_:now:)`` counted, when the password was right: the
    /// failures before it stay (only a completed sign-in clears them, with ``reset(_:)``).
    func release(_ username: String) async throws {
        let key = Self.key(username)
        try await database.writer.write { db in
            try db.execute(sql: "UPDATE loginFailure SET consecutive = consecutive - 1 WHERE username = ? AND consecutive > 0", arguments: [key])
            try db.execute(sql: "DELETE FROM loginFailure WHERE username = ? AND consecutive <= 0 AND lockedAt IS NULL", arguments: [key])
        }
    }

    /// Clears the count after a sign-in that passed both factors, or an administrator's unlock.
    func reset(_ username: String) async throws {
        let key = Self.key(username)
        try await database.writer.write { db in
            try db.execute(sql: "DELETE FROM loginFailure WHERE username = ?", arguments: [key])
        }
    }

    /// Locks `username` at once, as too many failures would (an administrator's lock): sign-in
    /// refuses it until ``reset(_:)`` (`users set --unlock`, a new password, or the admin page).
    func lock(_ username: String, now: Date? = nil) async throws {
        let now = now ?? clock.now()
        let key = Self.key(username)
        try await database.writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO loginFailure (username, consecutive, lastFailureAt, lockedAt) VALUES (?, 0, ?, ?)
                    ON CONFLICT(username) DO UPDATE SET lockedAt = COALESCE(lockedAt, excluded.lockedAt)
                    """,
                arguments: [key, now, now]
            )
        }
    }

    /// Consecutive failures and lock state, for `users list`.
    func status(_ username: String) async throws -> (consecutive: Int, locked: Bool) {
        let key = Self.key(username)
        return try await database.writer.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT consecutive, lockedAt FROM loginFailure WHERE username = ?", arguments: [key]) else {
                return (0, false)
            }
            return (row["consecutive"], (row["lockedAt"] as Date?) != nil)
        }
    }

    /// Drops stale rows for names that are not accounts, so typing random names cannot grow the table forever.
    func prune(olderThan age: TimeInterval = 86_400, now: Date? = nil) async throws {
        let now = now ?? clock.now()
        try await database.writer.write { db in
            try db.execute(
                sql: "DELETE FROM loginFailure WHERE lastFailureAt < ? AND username NOT IN (SELECT username FROM account)",
                arguments: [now.addingTimeInterval(-age)]
            )
        }
    }

    /// Names are compared case-insensitively and bounded, like accounts.
    static func key(_ username: String) -> String {
        String(username.trimmingCharacters(in: .whitespaces).lowercased().prefix(64))
    }
}

/// The answer of a throttle.
enum ThrottleDecision: Equatable, Sendable {
    case allowed
    case wait(until: Date)
    case locked
}
