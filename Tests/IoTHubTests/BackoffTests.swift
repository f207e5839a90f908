@testable import IoTHub
import Testing

@Suite struct BackoffTests {
    /// Every draw lies in 0 … min(maximum, initial·2ⁿ) for attempt n, and `reset` starts over.
    @Test func delaysStayUnderTheDoublingCeiling() {
        let initial = Duration.milliseconds(100)
        let maximum = Duration.seconds(2)
        var backoff = Backoff(initial: initial, maximum: maximum)
        for _ in 0..<50 {
            for attempt in 0..<12 {
                let ceiling = min(maximum, initial * (1 << attempt))
                let delay = backoff.next()
                #expect(delay >= .zero && delay <= ceiling, "attempt \(attempt): \(delay) outside 0…\(ceiling)")
            }
            backoff.reset()
            #expect(backoff.attempt == 0)
        }
    }

    /// The ceiling doubles: after many draws, some delay on a late attempt exceeds the first attempt's ceiling.
    @Test func delaysGrow() {
        var backoff = Backoff(initial: .milliseconds(10), maximum: .seconds(1))
        for _ in 0..<8 { _ = backoff.next() }
        let late = (0..<50).map { _ in
            var copy = backoff
            return copy.next()
        }
        #expect(late.allSatisfy { $0 <= .seconds(1) })
        #expect(late.contains { $0 > .milliseconds(10) })
    }
}
