public import Foundation

/// How failed sign-ins slow an attacker down (NIST SP 800-63B 5.2.2, OWASP ASVS 2.2.1).
public struct ThrottlePolicy: Sendable, Equatable {
    /// Failures per account name before waits start.
    var accountFreeFailures: Int
    /// Consecutive failures that lock an account name; at most 100 as 800-63B requires.
    var lockoutAfter: Int
    /// Failures per client address before waits start (higher: many people may share one address).
    var addressFreeFailures: Int
    /// The first wait; each further failure doubles it.
    var baseDelay: TimeInterval
    /// The longest wait.
    var maximumDelay: TimeInterval
    /// Addresses remembered at once (least recently failed are forgotten first).
    var addressCapacity: Int

    /// - Precondition: none; out-of-range values are clamped (lockout to 1...100).
    public init(
        accountFreeFailures: Int = 5, lockoutAfter: Int = 100, addressFreeFailures: Int = 20,
        baseDelay: TimeInterval = 1, maximumDelay: TimeInterval = 900, addressCapacity: Int = 10_000
    ) {
        self.accountFreeFailures = max(0, accountFreeFailures)
        self.lockoutAfter = min(max(1, lockoutAfter), 100)
        self.addressFreeFailures = max(0, addressFreeFailures)
        self.baseDelay = max(0, baseDelay)
        self.maximumDelay = max(self.baseDelay, maximumDelay)
        self.addressCapacity = max(16, addressCapacity)
    }

    /// Seconds to wait after `failures` consecutive failures of one account name.
    func accountDelay(afterFailures failures: Int) -> TimeInterval {
        delay(excess: failures - accountFreeFailures)
    }

    /// Seconds to wait after `failures` consecutive failures from one address.
    func addressDelay(afterFailures failures: Int) -> TimeInterval {
        delay(excess: failures - addressFreeFailures)
    }

    private func delay(excess: Int) -> TimeInterval {
        guard excess > 0 else { return 0 }
        let exponent = Double(min(excess - 1, 30))
        return min(baseDelay * pow(2, exponent), maximumDelay)
    }
}
