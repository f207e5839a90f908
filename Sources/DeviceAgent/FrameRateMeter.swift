import Synchronization

/// Frames per second over a sliding window of the last few seconds.
final class FrameRateMeter: Sendable {
    private let window: Duration = .seconds(5)
    private let ticks = Mutex<[ContinuousClock.Instant]>([])

    /// Records a frame and returns the current rate.
    func tick(now: ContinuousClock.Instant = .now) -> Double {
        ticks.withLock { ticks in
            ticks.append(now)
            let cutoff = now - window
            if let firstLive = ticks.firstIndex(where: { $0 >= cutoff }), firstLive > 0 {
                ticks.removeFirst(firstLive)
            }
            guard ticks.count > 1, let first = ticks.first else { return 0 }
            let span = (now - first) / .milliseconds(1) / 1000
            return span > 0 ? Double(ticks.count - 1) / span : 0
        }
    }
}
