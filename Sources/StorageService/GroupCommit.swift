import GRDB
import Synchronization

/// Runs small writes that arrive together in one shared transaction (group commit). Each write
/// runs in a savepoint of its own, so one that throws is rolled back alone and reports its error;
/// every write is answered only after the transaction that holds it has committed, so an
/// acknowledged write is as durable as with a transaction of its own.
///
/// Why: the queue's send, receive and delete are one tiny transaction each, and in a profile of
/// the queue alone (no HTTP) most of their cost was per transaction, not per row: the hop to the
/// writer's queue and back (thread wake-ups), SQLite's file locks, and the write-ahead log's
/// page writes. Concurrent requests now share those.
///
/// A write that finds the writer idle runs at once on its caller's thread, in a transaction of
/// its own: GRDB's synchronous write then runs inline, with no hop to the writer's thread and
/// back. Only that one caller blocks, for one short transaction; writes that arrive meanwhile
/// wait (suspended, not blocked) and go together in the next transaction, through GRDB's callback
/// write, which a cancelled caller cannot abort half-way for the others. A cancelled caller still
/// gets its answer once its batch ends.
final class GroupCommit: Sendable {
    private struct Job: Sendable {
        /// Runs the write inside the shared transaction; returns how to answer its caller.
        let run: @Sendable (Database) -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    private struct State {
        var waiting: [Job] = []
        var committing = false
    }

    private let pool: DatabasePool
    private let state = Mutex(State())
    /// Upper bound on the writes in one transaction, so that one batch cannot hold the writer long.
    static let maximumBatch = 64

    init(pool: DatabasePool) {
        self.pool = pool
    }

    /// Runs `body` in the next shared transaction and returns its result once that has committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let idle = state.withLock { state -> Bool in
            guard !state.committing else { return false }
            state.committing = true
            return true
        }
        if idle {
            defer { finishCommitting() }
            // A synchronous closure, so that GRDB's blocking write is the one called.
            let writeHere: () throws -> T = { try self.pool.write { db in try body(db) } }
            return try writeHere()
        }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(
                run: { db in
                    do {
                        var value: T?
                        try db.inSavepoint {
                            value = try body(db)
                            return .commit
                        }
                        guard let value else { return { continuation.resume(throwing: GroupCommitError.noResult) } }
                        return { continuation.resume(returning: value) }
                    } catch {
                        return { continuation.resume(throwing: error) }
                    }
                },
                fail: { continuation.resume(throwing: $0) })
            let batch = state.withLock { state -> [Job]? in
                state.waiting.append(job)
                guard !state.committing else { return nil }
                state.committing = true
                return Self.takeBatch(&state)
            }
            if let batch { commit(batch) }
        }
    }

    private static func takeBatch(_ state: inout State) -> [Job] {
        let count = min(maximumBatch, state.waiting.count)
        defer { state.waiting.removeFirst(count) }
        return Array(state.waiting.prefix(count))
    }

    /// Commits `batch`, answers its callers, then starts the batch that gathered meanwhile.
    private func commit(_ batch: [Job]) {
        pool.asyncWrite({ db in batch.map { $0.run(db) } }, completion: { [self] _, result in
            switch result {
            case .success(let answers): for answer in answers { answer() }
            case .failure(let error): for job in batch { job.fail(error) }
            }
            finishCommitting()
        })
    }

    /// After a transaction: the writes that gathered meanwhile go next, or the writer is idle.
    private func finishCommitting() {
        let next = state.withLock { state -> [Job]? in
            guard !state.waiting.isEmpty else {
                state.committing = false
                return nil
            }
            return Self.takeBatch(&state)
        }
        if let next { commit(next) }
    }
}

/// A write that returned without a value (cannot happen: `body` returns or throws).
enum GroupCommitError: Error {
    case noResult
}
