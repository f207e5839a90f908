import Synchronization

/// Whether an ``OperatorServer`` has bound its port yet, shared between its task and its owner.
final class BindingState: Sendable {
    private struct State {
        var port: Int?
        var done = false
        var waiters: [CheckedContinuation<Int?, Never>] = []
    }

    private let state = Mutex(State())

    var currentPort: Int? { state.withLock { $0.port } }

    func bound(_ port: Int) {
        let waiters = state.withLock { state in
            state.port = port
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    /// The server stopped (or never started): waiters learn the port it had, if any.
    func finished() {
        let (port, waiters) = state.withLock { state in
            state.done = true
            defer { state.waiters = [] }
            return (state.port, state.waiters)
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    func wait() async -> Int? {
        await withCheckedContinuation { continuation in
            let ready: Int?? = state.withLock { state in
                if state.port != nil || state.done { return .some(state.port) }
                state.waiters.append(continuation)
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
