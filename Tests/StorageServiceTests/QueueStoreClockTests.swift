import Foundation
import TestSupport
import Testing

@testable import StorageService

/// Visibility timeouts, time-to-live and the sweep against a clock the test moves: the rules of
/// the queue without waiting for them.
@Suite struct QueueStoreClockTests {
    let directory: URL
    let clock = ManualWallClock()
    let store: QueueStore

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("queue-clock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = try StorageDatabase(path: directory.appendingPathComponent("storage.sqlite").path)
        store = QueueStore(database: database, clock: clock)
    }

    private func texts(_ messages: [StoredMessage]) -> Set<String> { Set(messages.map(\.text)) }

    @Test func aMessageSentInvisibleAppearsWhenItsVisibilityTimeoutPasses() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try await store.createQueue(account: "a", name: "q", metadata: [])
        _ = try await store.send(account: "a", queue: "q", text: "later", visibilityTimeout: 3, timeToLive: 60)
        #expect(try await store.receive(account: "a", queue: "q", count: 32, visibilityTimeout: 30).isEmpty)
        clock.advance(by: .milliseconds(2999))
        #expect(try await store.receive(account: "a", queue: "q", count: 32, visibilityTimeout: 30).isEmpty)
        clock.advance(by: .milliseconds(1))
        let received = try await store.receive(account: "a", queue: "q", count: 32, visibilityTimeout: 30)
        #expect(texts(received) == ["later"])
        #expect(received.first?.dequeueCount == 1)
        // Received: hidden for its new visibility timeout, then back with a second dequeue.
        clock.advance(by: .seconds(29))
        #expect(try await store.receive(account: "a", queue: "q", count: 32, visibilityTimeout: 30).isEmpty)
        clock.advance(by: .seconds(1))
        #expect(try await store.receive(account: "a", queue: "q", count: 32, visibilityTimeout: 30).first?.dequeueCount == 2)
    }

    @Test func aMessageExpiresAfterItsTimeToLiveAndTheSweepRemovesIt() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try await store.createQueue(account: "a", name: "q", metadata: [])
        _ = try await store.send(account: "a", queue: "q", text: "short", visibilityTimeout: 0, timeToLive: 3)
        _ = try await store.send(account: "a", queue: "q", text: "forever", visibilityTimeout: 0, timeToLive: -1)
        clock.advance(by: .milliseconds(2999))
        #expect(texts(try await store.receive(account: "a", queue: "q", count: 32, visibilityTimeout: nil)) == ["short", "forever"])
        clock.advance(by: .milliseconds(1))
        #expect(texts(try await store.receive(account: "a", queue: "q", count: 32, visibilityTimeout: nil)) == ["forever"])
        #expect(try await store.sweepExpired() == 1)
        clock.advance(by: .seconds(100 * 365 * 86_400))
        #expect(texts(try await store.receive(account: "a", queue: "q", count: 32, visibilityTimeout: nil)) == ["forever"])
    }

    @Test func anExpiredMessageCanNoLongerBeUpdatedOrDeleted() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try await store.createQueue(account: "a", name: "q", metadata: [])
        _ = try await store.send(account: "a", queue: "q", text: "m", visibilityTimeout: 0, timeToLive: 10)
        let message = try #require(try await store.receive(account: "a", queue: "q", count: 1, visibilityTimeout: 5).first)
        let (receipt, visible) = try await store.update(
            account: "a", queue: "q", messageId: message.messageId, popReceipt: message.popReceipt, visibilityTimeout: 2, text: nil)
        #expect(visible == clock.nowMilliseconds() + 2000)
        clock.advance(by: .seconds(10))
        await #expect(throws: StorageServiceError.self) {
            try await store.delete(account: "a", queue: "q", messageId: message.messageId, popReceipt: receipt)
        }
    }
}
