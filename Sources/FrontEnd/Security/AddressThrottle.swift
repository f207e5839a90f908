import EdgeFactorSupport
import Foundation

/// Throttles failed sign-ins per client address, in memory and bounded.
///
/// No lockout per address (people behind one NAT would lock each other out): only waits that
/// double with each failure beyond the free ones. No success clears it: one account's right
/// password (perhaps the attacker's own) must not buy unlimited guesses at every other account.
/// Entries are forgotten once their wait is long over.
actor AddressThrottle {
    private struct Entry {
        var consecutive: Int
        var lastFailureAt: Date
    }

    private let policy: ThrottlePolicy
    /// The time waits are measured against (`now:` arguments override it).
    private let clock: any WallClock
    private var entries: [String: Entry] = [:]

    init(policy: ThrottlePolicy, clock: any WallClock = SystemWallClock()) {
        self.clock = clock
        self.policy = policy
    }

    func check(_ address: String, now: Date? = nil) -> ThrottleDecision {
        let now = now ?? clock.now()
        guard let entry = entries[address] else { return .allowed }
        let wait = policy.addressDelay(afterFailures: entry.consecutive)
        guard wait > 0 else { return .allowed }
        let until = entry.lastFailureAt.addingTimeInterval(wait)
        return until > now ? .wait(until: until) : .allowed
    }

    /// Admits one attempt from `address`, counting it as a failure at once (see
    /// ``AccountThrottle/begin(_:now:)``), or says how long to wait.
    func begin(_ address: String, now: Date? = nil) -> ThrottleDecision {
        let now = now ?? clock.now()
        let decision = check(address, now: now)
        if decision == .allowed { recordFailure(address, now: now) }
        return decision
    }

    /// The failure that ``begin(_:now:)`` counted happened: the wait runs from now.
    func confirmFailure(_ address: String, now: Date? = nil) {
        let now = now ?? clock.now()
        entries[address]?.lastFailureAt = now
    }

    /// Takes back an attempt that ``begin(_:now:)`` counted but that was not a failure: the
    /// account throttle refused it before the password was checked, or the password was right.
    func release(_ address: String) {
        guard var entry = entries[address] else { return }
        entry.consecutive -= 1
        entries[address] = entry.consecutive > 0 ? entry : nil
    }

    func recordFailure(_ address: String, now: Date? = nil) {
        let now = now ?? clock.now()
        var entry = entries[address] ?? Entry(consecutive: 0, lastFailureAt: now)
        entry.consecutive += 1
        entry.lastFailureAt = now
        entries[address] = entry
        if entries.count > policy.addressCapacity { evict(now: now) }
    }

    /// Forgets addresses whose wait is over, then the oldest half if still full.
    private func evict(now: Date) {
        entries = entries.filter { _, entry in
            entry.lastFailureAt.addingTimeInterval(max(policy.addressDelay(afterFailures: entry.consecutive), 3600)) > now
        }
        if entries.count > policy.addressCapacity {
            let keep = entries.sorted { $0.value.lastFailureAt > $1.value.lastFailureAt }.prefix(policy.addressCapacity / 2)
            entries = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}
