import Synchronization

/// Wakes one waiting loop early: the queue poller when the module says a request was queued, the
/// camera loop when a request arrives, the deadline loop when an earlier deadline appears.
/// A ring with nobody waiting is remembered, so a wake-up is never lost between checks.
///
/// `ring()` is synchronous, so it can be called from any context without a task hop. A wait is a
/// two-child race (the bell, a sleep) inside the caller's task: nothing outlives it.
final class Doorbell: Sendable {
    private struct State {
        var pendingRing = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    init() {}

    /// Wakes the waiter, or the next one to wait.
    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pendingRing = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns when rung, after `timeout`, or when the task is cancelled, whichever comes first.
    /// One loop waits on a bell at a time.
    func wait(upTo timeout: Duration) async {
        guard !consumePendingRing(), !Task.isCancelled else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForRing() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func consumePendingRing() -> Bool {
        state.withLock { state in
            defer { state.pendingRing = false }
            return state.pendingRing
        }
    }

    /// Suspends until `ring()`, or until the waiting task is cancelled (the race above lost).
    private func waitForRing() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.pendingRing || Task.isCancelled {
                        state.pendingRing = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
