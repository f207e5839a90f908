/// Polls `condition` until it holds or `timeout` passes, and says whether it held. For waiting on
/// something another task or process does (a result landing, a connection closing) without a
/// fixed sleep: the test goes on as soon as the condition holds, and a loaded machine only makes
/// it wait longer, up to `timeout`.
package func eventually(
    timeout: Duration = .seconds(10), pollingEvery interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}

/// Polls `produce` until it returns a value or `timeout` passes; `nil` if it never did.
package func eventuallyValue<Value>(
    timeout: Duration = .seconds(10), pollingEvery interval: Duration = .milliseconds(50),
    _ produce: () async throws -> Value?
) async rethrows -> Value? {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let value = try await produce() { return value }
        try? await Task.sleep(for: interval)
    }
    return try await produce()
}
