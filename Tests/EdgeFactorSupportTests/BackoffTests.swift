import EdgeFactorSupport
import Testing

@Suite struct BackoffTests {
    /// Every draw lies in ½·c … c for c = min(maximum, initial·2ⁿ) at attempt n, and `reset` starts over.
    @Test func delaysStayUnderTheDoublingCeiling() {
        let initial = Duration.milliseconds(100)
        let maximum = Duration.seconds(2)
        var backoff = Backoff(initial: initial, maximum: maximum)
        for _ in 0..<50 {
            for attempt in 0..<12 {
                let ceiling = min(maximum, initial * (1 << attempt))
                let delay = backoff.next()
                #expect(delay >= ceiling / 2 - .milliseconds(1) && delay <= ceiling, "attempt \(attempt): \(delay) outside ½…1 of \(ceiling)")
                #expect(backoff.ceiling(attempt: attempt) == ceiling)
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

    /// Full jitter (the storage clients' retries) stays under the same ceiling and reaches below half of it.
    @Test func fullJitterStaysUnderTheCeiling() {
        let backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5))
        let draws = (0..<200).map { _ in backoff.fullJitter(attempt: 3) }
        #expect(draws.allSatisfy { $0 >= .zero && $0 <= .milliseconds(1600) })
        #expect(draws.contains { $0 < .milliseconds(800) })
    }
}
