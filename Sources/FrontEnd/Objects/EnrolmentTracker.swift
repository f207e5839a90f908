import Foundation
import Verification

/// The enrolments in flight and the template removals to send: their state, who may see them, and
/// the work queues of the ``EnrolmentWorker``.
///
/// Bounded: at most `capacity` enrolments; finished ones are forgotten after `retention`.
actor EnrolmentTracker {
    struct Limits: Sendable {
        var capacity = 1000
        var retention: TimeInterval = 600
        var removalBacklog = 1000
    }

    private var entries: [String: PendingEnrolment] = [:]
    private let limits: Limits
    private let jobContinuation: AsyncStream<PendingEnrolment>.Continuation
    private let removalContinuation: AsyncStream<PersonalObject>.Continuation
    /// New enrolments for the worker to carry out.
    nonisolated let jobs: AsyncStream<PendingEnrolment>
    /// Removed objects whose templates the worker asks the device to erase.
    nonisolated let removals: AsyncStream<PersonalObject>

    init(limits: Limits = Limits()) {
        self.limits = limits
        (jobs, jobContinuation) = AsyncStream.makeStream(of: PendingEnrolment.self, bufferingPolicy: .bufferingNewest(limits.capacity))
        (removals, removalContinuation) = AsyncStream.makeStream(of: PersonalObject.self, bufferingPolicy: .bufferingNewest(limits.removalBacklog))
    }

    /// Registers a new enrolment and hands it to the worker.
    ///
    /// - Returns: false when too many are in flight, or this session already has one running.
    func start(_ enrolment: PendingEnrolment, now: Date = Date()) -> Bool {
        prune(now: now)
        guard entries.count < limits.capacity,
              !entries.values.contains(where: { $0.sessionKey == enrolment.sessionKey && !$0.status.phase.isTerminal })
        else { return false }
        entries[enrolment.requestId] = enrolment
        jobContinuation.yield(enrolment)
        return true
    }

    /// The enrolment `requestId` if `sessionKey` owns it.
    func enrolment(_ requestId: String, sessionKey: String) -> PendingEnrolment? {
        guard let entry = entries[requestId], RandomToken.constantTimeEquals(entry.sessionKey, sessionKey) else { return nil }
        return entry
    }

    /// Records the worker's news about an enrolment.
    func update(_ requestId: String, to status: EnrolmentStatus, now: Date = Date()) {
        guard var entry = entries[requestId], !entry.status.phase.isTerminal else { return }
        // Progress the device sent before is kept when a later status carries none.
        var status = status
        if status.progress == nil { status.progress = entry.status.progress }
        entry.status = status
        if status.phase.isTerminal { entry.finishedAt = now }
        entries[requestId] = entry
    }

    /// Queues a best-effort `RemoveObject` for an object just deleted from the store.
    func requestRemoval(of object: PersonalObject) {
        removalContinuation.yield(object)
    }

    /// Stops handing out work (graceful shutdown).
    func finish() {
        jobContinuation.finish()
        removalContinuation.finish()
    }

    private func prune(now: Date) {
        let retention = limits.retention
        let stale = entries.values.filter { entry in
            if let finishedAt = entry.finishedAt { return now.timeIntervalSince(finishedAt) > retention }
            return now.timeIntervalSince(entry.request.expiresAt) > retention
        }
        for entry in stale { entries[entry.requestId] = nil }
    }
}
