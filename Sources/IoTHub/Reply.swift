import Synchronization

/// A reply the session waits for (a CONNACK, a PUBACK or SUBACK, a twin answer, a connection):
/// registered in the session's tables at once, completed once by whoever gets the answer, and
/// awaited with ``withDeadline(_:timeout:_:)``. Whatever comes first wins: the answer, a failure
/// (the connection dropped), or the waiting task's cancellation (its deadline passed).
final class Reply<Value: Sendable>: Sendable {
    private enum State {
        case pending(CheckedContinuation<Value, any Error>?)
        case done(Result<Value, any Error>)
    }

    private let state = Mutex(State.pending(nil))

    func succeed(_ value: Value) { complete(.success(value)) }

    func fail(_ error: any Error) { complete(.failure(error)) }

    private func complete(_ result: Result<Value, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<Value, any Error>? in
            guard case .pending(let waiter) = state else { return nil }
            state = .done(result)
            return waiter
        }
        waiter?.resume(with: result)
    }

    /// The reply; one task waits for it at a time.
    /// - Throws: the failure, or `CancellationError` when the waiting task is cancelled first.
    var value: Value {
        get async throws {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                    let result = state.withLock { state -> Result<Value, any Error>? in
                        switch state {
                        case .done(let result): return result
                        case .pending where Task.isCancelled:
                            state = .done(.failure(CancellationError()))
                            return .failure(CancellationError())
                        case .pending:
                            state = .pending(continuation)
                            return nil
                        }
                    }
                    if let result { continuation.resume(with: result) }
                }
            } onCancel: {
                fail(CancellationError())
            }
        }
    }
}

/// Runs `operation` until `deadline`: a task-group race between it and a sleep. When the sleep
/// wins, `operation` is cancelled and `timeout` is thrown; a cancelled caller cancels both.
func withDeadline<Value: Sendable>(
    _ deadline: ContinuousClock.Instant, timeout: @autoclosure () -> any Error,
    _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let outcome = try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(until: deadline)
            return nil
        }
        defer { group.cancelAll() }
        // The first child to finish decides: a value, an error, or nil for the deadline.
        return try await group.next() ?? nil
    }
    guard let outcome else { throw timeout() }
    return outcome
}
