import Foundation
import GRDB

/// Throttles failed first factors per account name, in SQLite so that a restart does not reset it.
///
/// NIST SP 800-63B 5.2.2: at most 100 consecutive failures before lockout. The first
/// `freeFailures` failures cost nothing; each later one doubles the wait before the next attempt
/// (capped); at `lockoutAfter` consecutive failures the name is locked until an administrator
/// runs `edgefactor users set NAME --unlock` (or sets a new password). A success resets the count.
///
/// Rows exist for any name typed, account or not, so the answers are the same for both.
struct AccountThrottle: Sendable {
    let database: FrontEndDatabase
    let policy: ThrottlePolicy

    /// Whether `username` may try now.
    func check(_ username: String, now: Date = Date()) async throws -> ThrottleDecision {
        let key = Self.key(username)
        let row: (consecutive: Int, last: Date, locked: Bool)? = try await database.writer.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT consecutive, lastFailureAt, lockedAt FROM loginFailure WHERE username = ?", arguments: [key]) else {
                return nil
            }
            return (row["consecutive"], row["lastFailureAt"], (row["lockedAt"] as Date?) != nil)
        }
        guard let row else { return .allowed }
        if row.locked { return .locked }
        let wait = policy.accountDelay(afterFailures: row.consecutive)
        guard wait > 0 else { return .allowed }
        let until = row.last.addingTimeInterval(wait)
        return until > now ? .wait(until: until) : .allowed
    }

    /// Counts one more failure; returns the count and whether the name is now locked.
    @discardableResult
    func recordFailure(_ username: String, now: Date = Date()) async throws -> (consecutive: Int, locked: Bool) {
        let key = Self.key(username)
        let lockoutAfter = policy.lockoutAfter
        return try await database.writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO loginFailure (username, consecutive, lastFailureAt) VALUES (?, 1, ?)
                    ON CONFLICT(username) DO UPDATE SET consecutive = consecutive + 1, lastFailureAt = excluded.lastFailureAt
                    """,
                arguments: [key, now]
            )
            let count = try Int.fetchOne(db, sql: "SELECT consecutive FROM loginFailure WHERE username = ?", arguments: [key]) ?? 1
            if count >= lockoutAfter {
                try db.execute(sql: "UPDATE loginFailure SET lockedAt = COALESCE(lockedAt, ?) WHERE username = ?", arguments: [now, key])
                return (count, true)
            }
            return (count, false)
        }
    }

    /// Clears the count after a success or an administrator's unlock.
    func reset(_ username: String) async throws {
        let key = Self.key(username)
        try await database.writer.write { db in
            try db.execute(sql: "DELETE FROM loginFailure WHERE username = ?", arguments: [key])
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
    func prune(olderThan age: TimeInterval = 86_400, now: Date = Date()) async throws {
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
