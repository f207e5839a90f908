import Foundation
import Synchronization
import Verification

/// The verifications in flight: their state, who may see them, and who is watching.
///
/// Bounded: at most `capacity` verifications pending at once, at most `perAccount` of them for
/// one account (so one person's password cannot fill the service), and at most
/// `finishedCapacity` finished ones kept (the oldest go first), each for `retention`.
actor VerificationTracker {
    struct Limits: Sendable {
        /// Pending verifications, all accounts together; finished ones do not count.
        var capacity = 10_000
        /// Pending verifications of one account.
        var perAccount = 3
        /// Finished verifications kept for their sessions to read.
        var finishedCapacity = 10_000
        var retention: TimeInterval = 600
    }

    /// Why ``start(_:now:)`` refused a verification.
    enum Refusal: Error, Equatable {
        /// Too many verifications pending, all accounts together.
        case busy
        /// Too many verifications pending for this account.
        case accountBusy
    }

    private var entries: [String: PendingVerification] = [:]
    /// Behind a Mutex rather than the actor: a stream's termination handler removes its watcher
    /// synchronously, without a task hop onto the actor.
    private let watchers = Mutex<[String: [UUID: AsyncStream<PendingVerification>.Continuation]]>([:])
    private let limits: Limits
    private let jobContinuation: AsyncStream<PendingVerification>.Continuation
    /// New verifications for the worker to carry out.
    nonisolated let jobs: AsyncStream<PendingVerification>

    init(limits: Limits = Limits()) {
        self.limits = limits
        (jobs, jobContinuation) = AsyncStream.makeStream(of: PendingVerification.self, bufferingPolicy: .bufferingNewest(limits.capacity))
    }

    /// Registers a new verification and hands it to the worker.
    ///
    /// - Returns: why not, when too many verifications are pending in all or for this account
    ///   (the caller shows "busy"); `nil` when started.
    func start(_ verification: PendingVerification, now: Date = Date()) -> Refusal? {
        prune(now: now)
        let pending = entries.values.filter { !$0.phase.isTerminal }
        guard pending.count < limits.capacity else { return .busy }
        let account = verification.username.lowercased()
        guard pending.count(where: { $0.username.lowercased() == account }) < limits.perAccount else { return .accountBusy }
        entries[verification.requestId] = verification
        jobContinuation.yield(verification)
        return nil
    }

    /// The verification `requestId` if `sessionKey` owns it.
    func verification(_ requestId: String, sessionKey: String) -> PendingVerification? {
        guard let entry = entries[requestId], RandomToken.constantTimeEquals(entry.sessionKey, sessionKey) else { return nil }
        return entry
    }

    /// The current state, then every change, until the verification ends. Nil if not the owner.
    func updates(_ requestId: String, sessionKey: String) -> AsyncStream<PendingVerification>? {
        guard let entry = verification(requestId, sessionKey: sessionKey) else { return nil }
        let (stream, continuation) = AsyncStream.makeStream(of: PendingVerification.self, bufferingPolicy: .bufferingNewest(8))
        continuation.yield(entry)
        if entry.phase.isTerminal {
            continuation.finish()
            return stream
        }
        let id = UUID()
        watchers.withLock { $0[requestId, default: [:]][id] = continuation }
        continuation.onTermination = { [weak self] _ in self?.removeWatcher(requestId, id) }
        return stream
    }

    /// Marks a successful verification used by its session: it can complete one sign-in only.
    func consume(_ requestId: String, sessionKey: String) -> PendingVerification? {
        guard var entry = verification(requestId, sessionKey: sessionKey), entry.phase == .found, !entry.consumed else { return nil }
        entry.consumed = true
        entries[requestId] = entry
        return entry
    }

    /// Moves a verification to `phase` and tells its watchers.
    func advance(_ requestId: String, to phase: VerificationPhase, confidence: Double? = nil, image: Data? = nil, now: Date = Date()) {
        guard var entry = entries[requestId], !entry.phase.isTerminal else { return }
        entry.phase = phase
        if let confidence { entry.confidence = confidence }
        if let image { entry.image = image }
        if phase.isTerminal { entry.finishedAt = now }
        entries[requestId] = entry
        let watching = watchers.withLock { watchers in
            defer { if phase.isTerminal { watchers[requestId] = nil } }
            return Array(watchers[requestId, default: [:]].values)
        }
        for continuation in watching {
            continuation.yield(entry)
            if phase.isTerminal { continuation.finish() }
        }
    }

    /// Stops handing out work (graceful shutdown).
    func finishJobs() {
        jobContinuation.finish()
    }

    var count: Int { entries.count }

    private nonisolated func removeWatcher(_ requestId: String, _ id: UUID) {
        watchers.withLock { watchers in
            watchers[requestId]?[id] = nil
            if watchers[requestId]?.isEmpty == true { watchers[requestId] = nil }
        }
    }

    private func prune(now: Date) {
        let finished = entries.values.filter { $0.finishedAt != nil }
        if finished.count > limits.finishedCapacity {
            let oldest = finished.sorted { ($0.finishedAt ?? now) < ($1.finishedAt ?? now) }.prefix(finished.count - limits.finishedCapacity)
            for entry in oldest {
                entries[entry.requestId] = nil
                _ = watchers.withLock { $0.removeValue(forKey: entry.requestId) }
            }
        }
        let retention = limits.retention
        let stale = entries.values.filter { entry in
            if let finishedAt = entry.finishedAt { return now.timeIntervalSince(finishedAt) > retention }
            // A worker that never finished (should not happen): drop well after expiry.
            return now.timeIntervalSince(entry.request.expiresAt) > retention
        }
        for entry in stale {
            entries[entry.requestId] = nil
            _ = watchers.withLock { $0.removeValue(forKey: entry.requestId) }
        }
    }
}
