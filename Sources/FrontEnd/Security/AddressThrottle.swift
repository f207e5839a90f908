import Foundation

/// Throttles failed sign-ins per client address, in memory and bounded.
///
/// No lockout per address (people behind one NAT would lock each other out): only waits that
/// double with each failure beyond the free ones. A success from the address clears it.
actor AddressThrottle {
    private struct Entry {
        var consecutive: Int
        var lastFailureAt: Date
    }

    private let policy: ThrottlePolicy
    private var entries: [String: Entry] = [:]

    init(policy: ThrottlePolicy) {
        self.policy = policy
    }

    func check(_ address: String, now: Date = Date()) -> ThrottleDecision {
        guard let entry = entries[address] else { return .allowed }
        let wait = policy.addressDelay(afterFailures: entry.consecutive)
        guard wait > 0 else { return .allowed }
        let until = entry.lastFailureAt.addingTimeInterval(wait)
        return until > now ? .wait(until: until) : .allowed
    }

    func recordFailure(_ address: String, now: Date = Date()) {
        var entry = entries[address] ?? Entry(consecutive: 0, lastFailureAt: now)
        entry.consecutive += 1
        entry.lastFailureAt = now
        entries[address] = entry
        if entries.count > policy.addressCapacity { evict(now: now) }
    }

    func reset(_ address: String) {
        entries[address] = nil
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
