public import Foundation

/// Remembers every nonce until its message expires, and refuses a nonce seen twice. Memory is
/// bounded: when the guard is full of live nonces it refuses new ones (fail closed) rather than
/// forget one that could then be replayed.
public actor ReplayGuard {
    private var expiries: [String: Date] = [:]
    private let capacity: Int
    private var insertsSincePurge = 0

    public init(capacity: Int = 100_000) {
        self.capacity = max(1, capacity)
    }

    /// Admits `nonce` once; throws `.replayed` if it was admitted before and has not expired,
    /// `.expired` if `expiresAt` has passed.
    public func admit(_ nonce: String, until expiresAt: Date, now: Date = Date()) throws(VerificationError) {
        guard now < expiresAt else { throw .expired(at: expiresAt) }
        if let known = expiries[nonce], known > now { throw .replayed }
        insertsSincePurge += 1
        if expiries.count >= capacity || insertsSincePurge >= max(1024, expiries.count / 2) {
            purge(now: now)
        }
        guard expiries.count < capacity else { throw .replayCacheFull }
        expiries[nonce] = expiresAt
    }

    /// How many nonces are remembered (live or not yet purged).
    public var count: Int { expiries.count }

    private func purge(now: Date) {
        expiries = expiries.filter { $0.value > now }
        insertsSincePurge = 0
    }
}
