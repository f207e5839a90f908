import AzureStorage
import Foundation
import Testing
import TestSupport

@Suite("Queue service with the Swift client")
struct QueueServiceTests {
    @Test("send, receive, update, delete round trip with pop receipts and dequeue counts")
    func roundTrip() async throws {
        try await withServer { server in
            let queue = QueueClient(connectionString: server.connection, queueName: uniqueName("jobs"))
            try await queue.create()
            try await queue.create()  // idempotent
            let sent = try await queue.send("hello <world> & ünïcode")
            #expect(!sent.messageId.isEmpty)
            #expect(sent.dequeueCount == 0)
            #expect(try await queue.approximateMessageCount() == 1)

            let received = try #require(try await queue.receive(visibilityTimeout: .seconds(30)).first)
            #expect(received.text == "hello <world> & ünïcode")
            #expect(received.messageId == sent.messageId)
            #expect(received.dequeueCount == 1)
            #expect(received.popReceipt != sent.popReceipt)
            #expect(try await queue.receive().isEmpty, "a received message is invisible")

            let updated = try await queue.update(received, text: "changed", visibilityTimeout: .zero)
            #expect(updated.popReceipt != received.popReceipt)
            await #expect(throws: StorageError.self) { try await queue.delete(received) }  // stale receipt

            let again = try #require(try await queue.receive().first)
            #expect(again.text == "changed")
            #expect(again.dequeueCount == 2)
            try await queue.delete(again)
            #expect(try await queue.approximateMessageCount() == 0)
        }
    }

    @Test("stale pop receipt is PopReceiptMismatch, unknown id is MessageNotFound")
    func deleteErrors() async throws {
        try await withServer { server in
            let queue = QueueClient(connectionString: server.connection, queueName: uniqueName("q"))
            try await queue.create()
            try await queue.send("a")
            let first = try #require(try await queue.receive(visibilityTimeout: .seconds(1)).first)
            _ = try await queue.update(first, visibilityTimeout: .zero)
            do {
                try await queue.delete(first)
                Issue.record("deleting with a stale pop receipt must fail")
            } catch let error as StorageError {
                #expect(error.status == 400)
                #expect(error.code == "PopReceiptMismatch")
            }
            var ghost = first
            ghost.messageId = UUID().uuidString
            do {
                try await queue.delete(ghost)
                Issue.record("deleting an unknown message must fail")
            } catch let error as StorageError {
                #expect(error.status == 404)
                #expect(error.code == "MessageNotFound")
            }
        }
    }

    @Test("peek does not hide; clear empties; receive honours maxMessages")
    func peekClearBatch() async throws {
        try await withServer { server in
            let queue = QueueClient(connectionString: server.connection, queueName: uniqueName("batch"))
            try await queue.create()
            for index in 0..<40 { try await queue.send("m\(index)") }
            let peeked = try await queue.peek(maxMessages: 5)
            #expect(peeked.count == 5)
            #expect(peeked.allSatisfy { $0.popReceipt.isEmpty && $0.dequeueCount == 0 })
            #expect(try await queue.receive(maxMessages: 32).count == 32)
            #expect(try await queue.receive(maxMessages: 32).count == 8)
            try await queue.clear()
            #expect(try await queue.approximateMessageCount() == 0)
            do {
                _ = try await queue.receive(maxMessages: 33)
                Issue.record("33 messages is out of range")
            } catch let error as StorageError {
                #expect(error.code == "OutOfRangeQueryParameterValue")
            }
        }
    }

    @Test("visibility timeout on send and time-to-live expiry")
    func visibilityAndExpiry() async throws {
        let clock = ManualWallClock(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
        try await withServer(configure: { $0.queueClock = clock }) { server in
            let queue = QueueClient(connectionString: server.connection, queueName: uniqueName("ttl"))
            try await queue.create()
            try await queue.send("later", visibilityTimeout: .seconds(1))
            try await queue.send("short", timeToLive: .seconds(1))
            try await queue.send("forever", timeToLive: .seconds(-1))
            let now = try await queue.receive(maxMessages: 32, visibilityTimeout: .seconds(60))
            #expect(Set(now.map(\.text)) == ["short", "forever"])
            #expect(try #require(now.first { $0.text == "forever" }).expiresOn > Date(timeIntervalSinceNow: 100 * 365 * 86_400))
            clock.advance(by: .milliseconds(999))
            #expect(try await queue.receive(maxMessages: 32).isEmpty, "not visible yet")
            clock.advance(by: .milliseconds(1))
            let later = try await queue.receive(maxMessages: 32)
            #expect(later.map(\.text) == ["later"])
        }
    }

    @Test("base64 encoding round-trips and reads as base64 in plain mode")
    func base64Encoding() async throws {
        try await withServer { server in
            let name = uniqueName("b64")
            let encoded = QueueClient(connectionString: server.connection, queueName: name, encoding: .base64)
            let plain = QueueClient(connectionString: server.connection, queueName: name)
            try await encoded.create()
            try await encoded.send("control \u{1} chars")
            let raw = try #require(try await plain.peek().first)
            #expect(raw.text == Data("control \u{1} chars".utf8).base64EncodedString())
            let decoded = try #require(try await encoded.receive().first)
            #expect(decoded.text == "control \u{1} chars")
        }
    }

    @Test("a missing queue is QueueNotFound; a message over 64 KiB is RequestBodyTooLarge")
    func errors() async throws {
        try await withServer { server in
            let missing = QueueClient(connectionString: server.connection, queueName: uniqueName("missing"))
            do {
                try await missing.send("x")
                Issue.record("sending to a missing queue must fail")
            } catch let error as StorageError {
                #expect(error.status == 404)
                #expect(error.code == "QueueNotFound")
            }
            let queue = QueueClient(connectionString: server.connection, queueName: uniqueName("big"))
            try await queue.create()
            try await queue.send(String(repeating: "x", count: 64 * 1024))
            do {
                try await queue.send(String(repeating: "x", count: 64 * 1024 + 1))
                Issue.record("a message over 64 KiB must be refused")
            } catch let error as StorageError {
                #expect(error.status == 413)
                #expect(error.code == "RequestBodyTooLarge")
            }
        }
    }

    @Test("a wrong key is 403 AuthenticationFailed")
    func wrongKey() async throws {
        try await withServer { server in
            let wrong = StorageConnectionString(
                accountName: server.connection.accountName, blobEndpoint: server.connection.blobEndpoint,
                queueEndpoint: server.connection.queueEndpoint,
                credential: .sharedKey(try StorageSharedKeyCredential(accountName: server.connection.accountName, accountKey: Data(repeating: 7, count: 64).base64EncodedString()))
            )
            let queue = QueueClient(connectionString: wrong, queueName: uniqueName("auth"), retry: .none)
            do {
                try await queue.create()
                Issue.record("a wrong key must be refused")
            } catch let error as StorageError {
                #expect(error.status == 403)
                #expect(error.code == "AuthenticationFailed")
            }
        }
    }

    @Test("messages survive a restart of the server on the same data directory")
    func durableAcrossRestart() async throws {
        let first = try await TestServer.start()
        let name = uniqueName("durable")
        let queue = QueueClient(connectionString: first.connection, queueName: name)
        try await queue.create()
        for index in 0..<10 { try await queue.send("m\(index)") }
        await first.stop(removeData: false)
        let second = try await TestServer.start(directory: first.directory)
        let reopened = QueueClient(connectionString: second.connection, queueName: name)
        let texts = try await reopened.receive(maxMessages: 32).map(\.text)
        await second.stop()
        #expect(Set(texts) == Set((0..<10).map { "m\($0)" }))
    }
}
