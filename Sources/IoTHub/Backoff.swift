/// Exponential backoff with jitter, for the applications' reconnect and retry loops.
/// (Hand-written: a dozen lines, and the libraries in the package offer none for plain async code.)
public struct Backoff: Sendable {
    public var initial: Duration = .milliseconds(100)
    public var maximum: Duration = .seconds(10)
    public private(set) var attempt = 0

    public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(10)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The next delay: a random duration up to `initial × 2^attempt`, capped at `maximum`.
    public mutating func next() -> Duration {
        let ceiling = min(maximum, initial * Int(1 << min(attempt, 20)))
        attempt += 1
        let millis = max(1, Int(ceiling / .milliseconds(1)))
        return .milliseconds(Int.random(in: (millis / 2)...millis))
    }

    public mutating func reset() { attempt = 0 }

    /// Sleeps for the next delay; false when the task was cancelled.
    public mutating func sleep() async -> Bool {
        do {
            try await Task.sleep(for: next())
            return true
        } catch {
            return false
        }
    }
}
