import Foundation

/// Server-side sessions, in memory, bounded, with idle and absolute expiry.
///
/// The cookie carries 256 random bits; the store is keyed by their SHA-256. A restart signs
/// everyone out, which for a second-factor gate is the safe failure. Session ids are rotated
/// whenever the privilege changes (password accepted, second factor passed) against fixation.
actor SessionStore {
    struct Limits: Sendable {
        var idleTimeout: TimeInterval = 30 * 60
        var absoluteTimeout: TimeInterval = 12 * 3600
        var capacity: Int = 100_000
    }

    private let limits: Limits
    private var sessions: [String: WebSession] = [:]

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// A new anonymous session; returns the cookie value and the session.
    func create(now: Date = Date()) -> (token: String, session: WebSession) {
        let token = RandomToken.make()
        let session = WebSession(key: RandomToken.digest(token), csrfToken: RandomToken.make(), stage: .anonymous, createdAt: now, lastSeenAt: now)
        insert(session, now: now)
        return (token, session)
    }

    /// The live session for a cookie value, touching its idle timer.
    func session(forToken token: String, now: Date = Date()) -> WebSession? {
        guard token.utf8.count <= 128 else { return nil }
        let key = RandomToken.digest(token)
        guard var session = sessions[key] else { return nil }
        guard isLive(session, now: now) else {
            sessions[key] = nil
            return nil
        }
        session.lastSeenAt = now
        sessions[key] = session
        return session
    }

    /// Moves a session to `stage` under a new cookie value and CSRF token (the old value stops working).
    func rotate(_ session: WebSession, to stage: WebSession.Stage, now: Date = Date()) -> (token: String, session: WebSession) {
        sessions[session.key] = nil
        let token = RandomToken.make()
        let createdAt = stage == .anonymous ? now : session.createdAt
        let rotated = WebSession(key: RandomToken.digest(token), csrfToken: RandomToken.make(), stage: stage, createdAt: createdAt, lastSeenAt: now)
        insert(rotated, now: now)
        return (token, rotated)
    }

    /// Changes the stage without a new cookie (e.g. a failed second factor falls back to anonymous).
    func update(_ key: String, stage: WebSession.Stage) {
        sessions[key]?.stage = stage
    }

    func destroy(_ key: String) {
        sessions[key] = nil
    }

    /// Ends every session of `username` (an administrator locked the account or reset its
    /// password); returns how many there were.
    @discardableResult
    func destroyAll(username: String) -> Int {
        let victims = sessions.values.filter { $0.username?.caseInsensitiveCompare(username) == .orderedSame }
        for victim in victims { sessions[victim.key] = nil }
        return victims.count
    }

    var count: Int { sessions.count }

    private func isLive(_ session: WebSession, now: Date) -> Bool {
        now.timeIntervalSince(session.lastSeenAt) < limits.idleTimeout
            && now.timeIntervalSince(session.createdAt) < limits.absoluteTimeout
    }

    private func insert(_ session: WebSession, now: Date) {
        if sessions.count >= limits.capacity {
            sessions = sessions.filter { isLive($0.value, now: now) }
            if sessions.count >= limits.capacity {
                // Still full of live sessions: drop the anonymous ones idle the longest first.
                let victims = sessions.values
                    .sorted { ($0.stage == .anonymous ? 0 : 1, $0.lastSeenAt) < ($1.stage == .anonymous ? 0 : 1, $1.lastSeenAt) }
                    .prefix(max(1, limits.capacity / 10))
                for victim in victims { sessions[victim.key] = nil }
            }
        }
        sessions[session.key] = session
    }
}
