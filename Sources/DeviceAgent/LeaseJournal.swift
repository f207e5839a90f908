import Foundation
import PrivateFiles

/// The queue messages this agent holds invisible (requests being watched or answered, an
/// enrolment), saved in its state folder. A killed agent cannot release them; the next start reads
/// the journal and makes them visible at once, so the restarted agent (or another) takes its
/// requests over within seconds instead of after their visibility timeout.
struct LeaseJournal: Sendable {
    /// One held message: enough to make it visible again (a pop receipt stays valid while the
    /// message is invisible and no one else has received it).
    struct Entry: Codable, Sendable, Equatable {
        var queue: String
        var messageId: String
        var popReceipt: String
    }

    static let fileName = "leases.json"
    /// Most entries kept (the agent holds at most `maxInFlight` plus an enrolment).
    static let capacity = 1024

    let file: URL?

    init(stateDirectory: URL?) {
        file = stateDirectory?.appendingPathComponent(Self.fileName)
    }

    /// Replaces the journal with `entries` (best effort: a failure costs only the quick takeover).
    func record(_ entries: [Entry]) throws {
        guard let file else { return }
        try PrivateFiles.createDirectory(file.deletingLastPathComponent().path)
        try PrivateFiles.write(try JSONEncoder().encode(Array(entries.prefix(Self.capacity))), to: file.path)
    }

    /// The entries a previous run left, and the journal emptied; none when there is no journal or it
    /// does not parse (the messages then reappear after their visibility timeout, as before).
    func takeOver() -> [Entry] {
        guard let file, let data = try? Data(contentsOf: file), data.count <= 1 << 20 else { return [] }
        try? FileManager.default.removeItem(at: file)
        let entries = (try? JSONDecoder().decode([Entry].self, from: data)) ?? []
        return entries.filter { !$0.queue.isEmpty && $0.messageId.utf8.count <= 256 && $0.popReceipt.utf8.count <= 1024 }
    }
}
