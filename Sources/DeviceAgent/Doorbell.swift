/// Wakes one waiting loop early: the queue poller when the module says a request was queued, the
/// camera loop when a request arrives, the deadline loop when an earlier deadline appears.
/// A ring with nobody waiting is remembered, so a wake-up is never lost between checks.
actor Doorbell {
    private var waiter: (id: UInt64, continuation: CheckedContinuation<Void, Never>)?
    private var pendingRing = false
    private var nextID: UInt64 = 0

    /// Wakes the waiter, or the next one to wait.
    func ring() {
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume()
        } else {
            pendingRing = true
        }
    }

    /// Returns when rung, after `timeout`, or when the task is cancelled, whichever comes first.
    func wait(upTo timeout: Duration) async {
        if pendingRing {
            pendingRing = false
            return
        }
        guard !Task.isCancelled else { return }
        nextID &+= 1
        let id = nextID
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiter = (id, continuation)
                Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    await self?.expire(id)
                }
            }
        } onCancel: {
            Task { await self.expire(id) }
        }
    }

    private func expire(_ id: UInt64) {
        guard let waiter, waiter.id == id else { return }
        self.waiter = nil
        waiter.continuation.resume()
    }
}
