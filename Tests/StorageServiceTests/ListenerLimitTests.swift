import AzureStorage
import Foundation
import ListenerSafety
import StorageService
import TestSupport
import Testing

/// Slow and idle clients cannot hold the storage endpoints: heads that never end get 408, idle
/// keep-alive connections are closed, and connections beyond the bound wait their turn.
@Suite("Storage listener limits")
struct ListenerLimitTests {
    static let limits = ListenerLimits(headerTimeout: .seconds(1), bodyTimeout: .seconds(1), idleTimeout: .seconds(1), maximumConnections: 16)

    @Test("many half-open connections, more than the bound: each gets 408 and a normal request still succeeds")
    func halfOpenConnections() async throws {
        try await withServer(configure: { $0.listenerLimits = Self.limits }) { server in
            let attackers = try await RawHTTP.halfOpen(port: server.server.queuePort, count: 64)
            defer { for connection in attackers { connection.close() } }
            let queue = QueueClient(connectionString: server.connection, queueName: "alive")
            try await queue.create()
            _ = try await queue.send("still serving")
            #expect(try await queue.receive(maxMessages: 1, visibilityTimeout: .seconds(30)).first?.text == "still serving")
            let answer = await attackers[0].readUntilClosed(within: .seconds(120))
            #expect(answer?.status == 408, "a head that never ends is answered 408 Request Timeout")
            #expect(answer?.text.lowercased().contains("connection: close") == true)
        }
    }

    @Test("an idle keep-alive connection is closed after its idle timeout")
    func idleKeepAlive() async throws {
        try await withServer(configure: { $0.listenerLimits = Self.limits }) { server in
            let connection = try await RawConnection.open(port: server.server.blobPort)
            try await connection.send("GET /devstoreaccount1?comp=list HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let answer = await connection.readUntilClosed(within: .seconds(120))
            #expect(answer != nil, "the server must close an idle connection")
            #expect(answer?.status == 403, "the request itself was answered (it carries no signature)")
        }
    }

    @Test("a non-loopback host with plain HTTP and the development key is refused unless explicitly allowed")
    func insecureRemoteRefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("storage-bind-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            try await StorageServer.withRunning(StorageServerConfiguration(dataDirectory: directory, host: "0.0.0.0", blobPort: 0, queuePort: 0)) { _ in
                _ = Issue.record("0.0.0.0 with the development key must be refused")
            }
        } catch let error as StorageServerError {
            #expect(error.message.contains("development account key"))
            #expect(error.message.contains("--allow-insecure-remote"))
        }
        try await StorageServer.withRunning(StorageServerConfiguration(
            dataDirectory: directory, host: "0.0.0.0", blobPort: 0, queuePort: 0, allowInsecureRemote: true
        )) { allowed in
            #expect(allowed.blobPort > 0)
        }
    }
}
