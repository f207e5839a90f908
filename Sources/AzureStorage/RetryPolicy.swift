import EdgeFactorSupport
/// When and how often a failed request is tried again, and how long one call may take.
///
/// Retries happen on transport failures and timeouts, and on 408, 429, 500, 502, 503
/// (`ServerBusy`) and 504, with exponential backoff and full jitter:
/// each wait is random in `0...min(maximumDelay, baseDelay * 2^attempt)`.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in total, the first included (1 = no retries).
    public var maximumAttempts: Int
    /// Backoff before the first retry (the upper bound of its random wait).
    public var baseDelay: Duration
    /// Cap of any single backoff.
    public var maximumDelay: Duration
    /// Deadline of one attempt (connect, send, response head and body).
    public var attemptTimeout: Duration
    /// Deadline of the whole call, retries and backoff included.
    public var callTimeout: Duration

    public init(
        maximumAttempts: Int = 4,
        baseDelay: Duration = .milliseconds(200),
        maximumDelay: Duration = .seconds(5),
        attemptTimeout: Duration = .seconds(30),
        callTimeout: Duration = .seconds(90)
    ) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.attemptTimeout = attemptTimeout
        self.callTimeout = callTimeout
    }

    /// Four attempts, 0.2 s base backoff capped at 5 s, 30 s per attempt, 90 s per call.
    public static let `default` = RetryPolicy()
    /// One attempt only.
    public static let none = RetryPolicy(maximumAttempts: 1)

    /// Statuses worth another attempt.
    public static func isRetryable(status: Int) -> Bool {
        [408, 429, 500, 502, 503, 504].contains(status)
    }

    /// The random wait before retry number `retry` (1-based): full jitter under the doubling ceiling.
    func delay(beforeRetry retry: Int) -> Duration {
        Backoff(initial: baseDelay, maximum: maximumDelay).fullJitter(attempt: retry - 1)
    }
}
