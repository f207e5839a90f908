package import Foundation

/// The time of day that expiry rules read (visibility timeouts, time-to-live, throttles, token
/// lifetimes). Injected rather than read with `Date()`, so a test of "expires after 3 s" advances
/// a clock instead of sleeping.
package protocol WallClock: Sendable {
    func now() -> Date
}

extension WallClock {
    /// Milliseconds since 1970, rounded down: how the storage service stores times.
    package func nowMilliseconds() -> Int64 {
        Int64((now().timeIntervalSince1970 * 1000).rounded(.down))
    }
}

/// The system's clock.
package struct SystemWallClock: WallClock {
    package init() {}
    package func now() -> Date { Date() }
}
