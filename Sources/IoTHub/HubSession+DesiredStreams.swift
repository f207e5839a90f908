import Foundation
import Synchronization

extension HubSession {
    /// The open desired-property streams. A Mutex rather than actor state so that a stream the
    /// consumer drops removes itself synchronously in `onTermination`, without a task hopping
    /// back onto the actor.
    final class DesiredStreams: Sendable {
        private let table = Mutex<[UUID: AsyncStream<[String: JSONValue]>.Continuation]>([:])

        var isEmpty: Bool { table.withLock { $0.isEmpty } }

        /// A new stream; it leaves the table when its consumer stops or ``finishAll()`` ends it.
        func makeStream() -> AsyncStream<[String: JSONValue]> {
            let (stream, continuation) = AsyncStream.makeStream(of: [String: JSONValue].self, bufferingPolicy: .bufferingNewest(256))
            let id = UUID()
            continuation.onTermination = { [weak self] _ in
                _ = self?.table.withLock { $0.removeValue(forKey: id) }
            }
            table.withLock { $0[id] = continuation }
            return stream
        }

        func yield(_ patch: [String: JSONValue]) {
            // Yielded outside the lock: a terminating stream's onTermination takes it again.
            let continuations = table.withLock { Array($0.values) }
            for continuation in continuations { continuation.yield(patch) }
        }

        func finishAll() {
            let continuations = table.withLock { table in
                defer { table.removeAll() }
                return Array(table.values)
            }
            for continuation in continuations { continuation.finish() }
        }
    }
}
