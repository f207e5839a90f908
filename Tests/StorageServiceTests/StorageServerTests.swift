import AzureStorage
import Foundation
import StorageService
import Testing

@Suite("Embedding the storage server")
struct StorageServerTests {
    @Test("port 0 binds free ports and the connection string points at them")
    func ephemeralPorts() async throws {
        try await withServer { server in
            #expect(server.server.blobPort > 0 && server.server.queuePort > 0)
            #expect(server.server.blobPort != server.server.queuePort)
            let parsed = try StorageConnectionString(server.server.connectionString)
            #expect(parsed.blobEndpoint.absoluteString == "http://127.0.0.1:\(server.server.blobPort)/devstoreaccount1")
            #expect(parsed.queueEndpoint == server.server.queueEndpoint)
            #expect(parsed.sharedKey?.accountKey == StorageConnectionString.developmentAccountKey)
        }
    }

    @Test("a port already in use is a clear start-up error, not a hang")
    func portInUse() async throws {
        try await withServer { first in
            do {
                try await StorageServer.withRunning(StorageServerConfiguration(
                    dataDirectory: first.directory + "-second", blobPort: first.server.blobPort, queuePort: 0
                )) { _ in _ = Issue.record("binding a port in use must fail") }
            } catch let error as StorageServerError {
                #expect(error.message.contains("cannot listen"))
            }
            try? FileManager.default.removeItem(atPath: first.directory + "-second")
        }
    }

    @Test("an unusable data directory is a clear start-up error")
    func badDataDirectory() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-dir-\(UUID().uuidString)").path
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        defer { try? FileManager.default.removeItem(atPath: file) }
        do {
            try await StorageServer.withRunning(StorageServerConfiguration(dataDirectory: file, blobPort: 0, queuePort: 0)) { _ in
                _ = Issue.record("a file as data directory must fail")
            }
        } catch let error as StorageServerError {
            #expect(error.message.contains("data directory"))
        }
    }

    @Test("clearing and deleting a queue with more messages than one batch removes them all")
    func largeClearAndDelete() async throws {
        try await withServer { server in
            let queue = QueueClient(connectionString: server.connection, queueName: "deep")
            try await server.server.preload(queue: "deep", count: 12_345, text: "m")
            #expect(try await queue.approximateMessageCount() == 12_345)
            try await queue.clear()
            #expect(try await queue.approximateMessageCount() == 0)
            try await server.server.preload(queue: "deep", count: 6_000, text: "m")
            try await queue.delete()
            #expect(try await queue.exists() == false)
            try await queue.create()
            #expect(try await queue.approximateMessageCount() == 0, "no message of the deleted queue may survive")
        }
    }

    @Test("custom accounts: only their keys are accepted")
    func accounts() async throws {
        let key = Data(repeating: 42, count: 64).base64EncodedString()
        let account = try StorageAccount(parsing: "edgeacct:\(key)")
        try await withServer(configure: { $0.accounts = [account] }) { server in
            let queue = QueueClient(connectionString: server.connection, queueName: "jobs")
            try await queue.create()
            #expect(server.connection.accountName == "edgeacct")
            let development = StorageConnectionString(
                accountName: "devstoreaccount1",
                blobEndpoint: URL(string: "http://127.0.0.1:\(server.server.blobPort)/devstoreaccount1")!,
                queueEndpoint: URL(string: "http://127.0.0.1:\(server.server.queuePort)/devstoreaccount1")!,
                credential: StorageConnectionString.development.credential
            )
            do {
                try await QueueClient(connectionString: development, queueName: "jobs", retry: .none).create()
                Issue.record("the development account is not configured and must be refused")
            } catch let error as StorageError {
                #expect(error.status == 403)
            }
        }
        #expect(throws: StorageConfigurationError.self) { try StorageAccount(parsing: "UPPER:\(key)") }
        #expect(throws: StorageConfigurationError.self) { try StorageAccount(parsing: "acct:not-base64!") }
    }
}
