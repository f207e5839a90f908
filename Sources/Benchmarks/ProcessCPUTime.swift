#if canImport(Glibc)
import Glibc
#endif

/// CPU time (user + system, all threads) this process has used. A rate divided by it is a cost
/// per operation that other processes on a shared machine hardly disturb, unlike wall-clock rates.
enum ProcessCPUTime {
    static func seconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        func value(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return value(usage.ru_utime) + value(usage.ru_stime)
    }

    /// Runs `body`, returning its result and the CPU seconds the process used meanwhile.
    static func measure<T>(_ body: () async throws -> T) async rethrows -> (T, cpu: Double) {
        let start = seconds()
        let result = try await body()
        return (result, seconds() - start)
    }
}
