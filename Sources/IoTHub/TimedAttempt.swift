/// How an operation given a time limit ended, for `edgefactor check`: the operation's own error,
/// or the limit.
public enum TimedAttempt: Sendable {
    case succeeded
    case failed(String)
    case timedOut

    /// Runs `operation`, giving up after `limit` (the operation is cancelled then).
    public static func run(limit: Duration, _ operation: @escaping @Sendable () async throws -> Void) async -> TimedAttempt {
        await withTaskGroup(of: TimedAttempt.self) { group in
            group.addTask {
                do {
                    try await operation()
                    return .succeeded
                } catch {
                    return .failed("\(error)")
                }
            }
            group.addTask {
                do { try await Task.sleep(for: limit) } catch { return .failed("cancelled") }
                return .timedOut
            }
            let first = await group.next() ?? .timedOut
            group.cancelAll()
            return first
        }
    }
}
