/// Exponential backoff with jitter: the one policy behind every reconnect and retry loop (the hub
/// clients' reconnects, the storage clients' retries, the applications' loops).
/// (Hand-written: a dozen lines, and the libraries in the package offer none for plain async code.)
package struct Backoff: Sendable {
    package var initial: Duration
    package var maximum: Duration
    package private(set) var attempt = 0

    package init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(10)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// `initial × 2^attempt`, at most `maximum`: the longest wait after `attempt` failures.
    package func ceiling(attempt: Int) -> Duration {
        min(maximum, initial * Int(1 << min(max(attempt, 0), 20)))
    }

    /// The next delay: a random duration from half the ceiling up to the ceiling (callers spread
    /// out, and none retries at once).
    package mutating func next() -> Duration {
        let ceiling = ceiling(attempt: attempt)
        attempt += 1
        let millis = max(1, Int(ceiling / .milliseconds(1)))
        return .milliseconds(Int.random(in: (millis / 2)...millis))
    }

    /// A random duration from zero up to the ceiling of `attempt` ("full jitter": for retries of
    /// one request, where waiting less is fine).
    package func fullJitter(attempt: Int) -> Duration {
        let millis = Int(ceiling(attempt: attempt) / .milliseconds(1))
        return .milliseconds(Int.random(in: 0...max(0, millis)))
    }

    package mutating func reset() { attempt = 0 }

    /// Sleeps for the next delay; false when the task was cancelled.
    package mutating func sleep() async -> Bool {
        do {
            try await Task.sleep(for: next())
            return true
        } catch {
            return false
        }
    }
}
