/// Failed sign-in counts and lockouts per account name, for administrators (`edgefactor users`).
public struct LoginFailures: Sendable {
    private let throttle: AccountThrottle

    public init(database: FrontEndDatabase) {
        throttle = AccountThrottle(database: database, policy: ThrottlePolicy())
    }

    /// Consecutive failures and whether the name is locked.
    public func status(_ username: String) async throws -> (consecutive: Int, locked: Bool) {
        try await throttle.status(username)
    }

    /// Locks the name until ``reset(_:)``, whatever its failures.
    public func lock(_ username: String) async throws {
        try await throttle.lock(username)
    }

    /// Clears failures and the lockout.
    public func reset(_ username: String) async throws {
        try await throttle.reset(username)
    }
}
