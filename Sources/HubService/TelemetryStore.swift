import EdgeFactorSupport
import Foundation
import GRDB
import IoTHub
import Logging
import Synchronization

/// Telemetry in SQLite with bounded retention, written by group commit: messages queue up while
/// a transaction is in flight and the next transaction writes them all, so every message is
/// stored before its PUBACK without one fsync per message. Live readers get new rows as they commit.
final class TelemetryStore: Sendable {
    struct Pending: Sendable {
        var deviceId: String
        var moduleId: String?
        var properties: [String: String]
        var systemProperties: [String: String]
        var body: Data
        /// Called in arrival order once the message is stored (`true`) or could not be (`false`).
        var completion: @Sendable (Bool) -> Void
    }

    private struct Subscriber {
        var deviceId: String?
        var moduleId: String?
        var continuation: AsyncStream<StoredTelemetry>.Continuation
    }

    private struct State {
        var queue: [Pending] = []
        var subscribers: [UUID: Subscriber] = [:]
        var batchesSinceTrim = 0
    }

    private let database: DatabasePool
    private let maxMessages: Int
    private let maxAge: Duration
    private let logger: Logger
    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation

    init(database: DatabasePool, maxMessages: Int, maxAge: Duration, logger: Logger) {
        self.database = database
        self.maxMessages = max(1, maxMessages)
        self.maxAge = maxAge
        self.logger = logger
        (wakeups, wakeup) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Messages waiting for a commit beyond which new ones are refused (QoS 0 floods).
    static let queueLimit = 100_000

    /// Queues a message for the next commit; `false` when the queue is full.
    func enqueue(_ message: Pending) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard state.queue.count < Self.queueLimit else { return false }
            state.queue.append(message)
            return true
        }
        if accepted { wakeup.yield() }
        return accepted
    }

    /// Writes queued messages until the task is cancelled (then drains what is left).
    func run() async {
        for await _ in wakeups {
            await drain()
        }
        await drain()
    }

    func finish() {
        wakeup.finish()
        closeSubscribers()
    }

    /// Ends every live stream (their readers see the end of the sequence).
    func closeSubscribers() {
        // Finish outside the lock: each stream's termination handler takes the lock itself.
        let subscribers = state.withLock { state in
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.continuation.finish() }
    }

    private func drain() async {
        while true {
            let batch: [Pending] = state.withLock { state in
                let batch = Array(state.queue.prefix(2048))
                state.queue.removeFirst(batch.count)
                return batch
            }
            guard !batch.isEmpty else { return }
            let now = Date()
            let records = batch.map {
                StoredTelemetry(
                    id: 0, deviceId: $0.deviceId, moduleId: $0.moduleId, enqueuedTime: now,
                    properties: $0.properties, systemProperties: $0.systemProperties, body: $0.body
                )
            }
            do {
                let stored = try await database.write { db in
                    var stored: [StoredTelemetry] = []
                    stored.reserveCapacity(records.count)
                    let statement = try db.cachedStatement(sql: """
                        INSERT INTO telemetry (device_id, module_id, enqueued_at, properties, system_properties, body)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """)
                    for var record in records {
                        try statement.execute(arguments: [
                            record.deviceId, record.moduleId ?? "", record.enqueuedTime.timeIntervalSince1970,
                            Self.propertiesJSON(record.properties), Self.propertiesJSON(record.systemProperties),
                            record.body,
                        ])
                        record.id = db.lastInsertedRowID
                        stored.append(record)
                    }
                    return stored
                }
                for message in batch { message.completion(true) }
                publish(stored)
                await trimIfDue(lastId: stored.last?.id ?? 0)
            } catch {
                logger.error("telemetry could not be stored: \(error)")
                for message in batch { message.completion(false) }
            }
        }
    }

    /// A property bag as a JSON object with sorted keys, written by hand rather than by two
    /// `JSONEncoder`s per row (this runs for every stored message).
    static func propertiesJSON(_ properties: [String: String]) -> String {
        guard !properties.isEmpty else { return "{}" }
        var text = "{"
        for (index, key) in properties.keys.sorted().enumerated() {
            if index > 0 { text += "," }
            text += RawJSON.quoted(key) + ":" + RawJSON.quoted(properties[key] ?? "")
        }
        return text + "}"
    }

    private func publish(_ records: [StoredTelemetry]) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        guard !subscribers.isEmpty else { return }
        for record in records {
            for subscriber in subscribers where Self.matches(record, deviceId: subscriber.deviceId, moduleId: subscriber.moduleId) {
                subscriber.continuation.yield(record)
            }
        }
    }

    private static func matches(_ record: StoredTelemetry, deviceId: String?, moduleId: String?) -> Bool {
        if let deviceId, record.deviceId != deviceId { return false }
        if let moduleId, record.moduleId != moduleId { return false }
        return true
    }

    private func trimIfDue(lastId: Int64) async {
        let due = state.withLock { state -> Bool in
            state.batchesSinceTrim += 1
            if state.batchesSinceTrim >= 32 {
                state.batchesSinceTrim = 0
                return true
            }
            return false
        }
        guard due else { return }
        await trim(lastId: lastId)
    }

    /// Deletes messages beyond the count limit or older than the age limit.
    func trim(lastId: Int64? = nil) async {
        let oldest = Date().timeIntervalSince1970 - maxAge.inSeconds
        let maxMessages = maxMessages
        do {
            try await database.write { db in
                let last = try lastId ?? Int64.fetchOne(db, sql: "SELECT MAX(id) FROM telemetry") ?? 0
                try db.execute(
                    sql: "DELETE FROM telemetry WHERE id <= ? OR enqueued_at < ?",
                    arguments: [last - Int64(maxMessages), oldest]
                )
            }
        } catch {
            logger.warning("telemetry retention could not trim: \(error)")
        }
    }

    /// Stored messages after `afterId`, oldest first (or the newest `limit` when `afterId` is nil).
    func messages(deviceId: String?, moduleId: String?, afterId: Int64?, limit: Int) async throws -> [StoredTelemetry] {
        try await database.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let deviceId { conditions.append("device_id = ?"); arguments += [deviceId] }
            if let moduleId { conditions.append("module_id = ?"); arguments += [moduleId] }
            if let afterId { conditions.append("id > ?"); arguments += [afterId] }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let order = afterId == nil ? "DESC" : "ASC"
            arguments += [limit]
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM telemetry \(whereClause) ORDER BY id \(order) LIMIT ?", arguments: arguments)
            let decoder = JSONDecoder()
            let records = try rows.map { row -> StoredTelemetry in
                let module: String = row["module_id"]
                let properties: String = row["properties"]
                let system: String = row["system_properties"]
                return StoredTelemetry(
                    id: row["id"], deviceId: row["device_id"], moduleId: module.isEmpty ? nil : module,
                    enqueuedTime: Date(timeIntervalSince1970: row["enqueued_at"]),
                    properties: try decoder.decode([String: String].self, from: Data(properties.utf8)),
                    systemProperties: try decoder.decode([String: String].self, from: Data(system.utf8)),
                    body: row["body"]
                )
            }
            return afterId == nil ? records.reversed() : records
        }
    }

    /// New messages as they are stored, optionally for one device or module.
    func subscribe(deviceId: String?, moduleId: String?) -> AsyncStream<StoredTelemetry> {
        let (stream, continuation) = AsyncStream.makeStream(of: StoredTelemetry.self, bufferingPolicy: .bufferingNewest(10_000))
        let id = UUID()
        state.withLock { $0.subscribers[id] = Subscriber(deviceId: deviceId, moduleId: moduleId, continuation: continuation) }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }
}
