import EdgeFactorSupport
package import Foundation
import Synchronization

/// A wall clock that moves only when a test advances it.
package final class ManualWallClock: WallClock {
    private let current: Mutex<Date>

    package init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    package func now() -> Date { current.withLock { $0 } }

    package func advance(by duration: Duration) {
        current.withLock { $0 += duration / .seconds(1) }
    }
}
