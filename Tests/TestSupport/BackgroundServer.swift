/// A server for a fixture that cannot be one closure (set up in `init`, stopped at the end of a
/// test): it runs the server's scoped form (`StorageServer.withRunning`, `HubServer.withRunning`)
/// in a task this object owns, and ``stop()`` ends that scope and waits until the server has shut
/// down. Tests call `stop()` and await it; prefer the scoped form where the test is one closure.
package final class BackgroundServer<Handle: Sendable>: Sendable {
    /// What the server reported once it listened.
    package let handle: Handle
    private let stopRequested: AsyncStream<Void>.Continuation
    private let task: Task<Void, any Error>

    private init(handle: Handle, stopRequested: AsyncStream<Void>.Continuation, task: Task<Void, any Error>) {
        self.handle = handle
        self.stopRequested = stopRequested
        self.task = task
    }

    /// Starts `withRunning` and returns once the server listens; a server that cannot start
    /// throws its error here.
    package static func start(
        _ withRunning: @escaping @Sendable (_ body: (Handle) async throws -> Void) async throws -> Void
    ) async throws -> BackgroundServer<Handle> {
        let (stops, stopRequested) = AsyncStream.makeStream(of: Void.self)
        let (handles, handed) = AsyncStream.makeStream(of: Handle.self, bufferingPolicy: .bufferingNewest(1))
        let task = Task {
            defer { handed.finish() }
            try await withRunning { handle in
                handed.yield(handle)
                for await _ in stops {}
            }
        }
        var iterator = handles.makeAsyncIterator()
        guard let handle = await iterator.next() else {
            try await task.value
            throw BackgroundServerError.stoppedBeforeListening
        }
        return BackgroundServer(handle: handle, stopRequested: stopRequested, task: task)
    }

    /// Shuts the server down gracefully and waits until it has.
    package func stop() async {
        stopRequested.finish()
        _ = try? await task.value
    }
}

package enum BackgroundServerError: Error {
    case stoppedBeforeListening
}
