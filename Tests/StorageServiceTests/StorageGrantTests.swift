import AzureStorage
import Foundation
import Testing

/// A grant reaches exactly the resources it names, with exactly the permissions it was issued with,
/// against the real server (Azure's SAS rules): what an edge box holds instead of the account key.
@Suite("Storage grants")
struct StorageGrantTests {
    @Test("an agent's grant takes its own requests and writes its own results, and reaches nothing of another device's")
    func agentGrantScope() async throws {
        try await withServer { server in
            let account = server.connection
            for name in ["requests-a", "requests-a-poison", "requests-b"] {
                try await QueueClient(connectionString: account, queueName: name).create()
            }
            for name in ["results-a", "results-b"] {
                try await BlobContainerClient(connectionString: account, containerName: name).create()
            }
            _ = try await QueueClient(connectionString: account, queueName: "requests-a").send("for a")
            _ = try await QueueClient(connectionString: account, queueName: "requests-b").send("for b")

            let grant = try StorageGrant.issue(
                from: account, queues: ["requests-a": [.read, .update, .process], "requests-a-poison": [.add]],
                containers: ["results-a": [.read, .create, .write]], expiresOn: Date().addingTimeInterval(3600))
            let access = StorageAccess.grant(grant)

            // Its own queue: take, hide for longer, delete. Not add (only the module queues requests).
            let own = QueueClient(connectionString: try access.queue("requests-a"), queueName: "requests-a")
            let message = try #require(try await own.receive(maxMessages: 1, visibilityTimeout: .seconds(30)).first)
            #expect(message.text == "for a")
            let updated = try await own.update(message, visibilityTimeout: .seconds(1))
            try await own.delete(updated)
            await #expect(throws: StorageError.self) { _ = try await own.send("planted") }
            // Its dead-letter queue: add only.
            let poison = QueueClient(connectionString: try access.queue("requests-a-poison"), queueName: "requests-a-poison")
            _ = try await poison.send("evidence")
            await #expect(throws: StorageError.self) { _ = try await poison.receive(maxMessages: 1) }

            // Its container: create, overwrite, read its results.
            let results = BlobContainerClient(connectionString: try access.container("results-a"), containerName: "results-a")
            _ = try await results.blob("r1/result.json").upload(Array("first".utf8), contentType: "application/json", metadata: [:], overwrite: false)
            _ = try await results.blob("r1/progress.json").upload(Array("1".utf8), contentType: "application/json", metadata: [:], overwrite: true)
            _ = try await results.blob("r1/progress.json").upload(Array("2".utf8), contentType: "application/json", metadata: [:], overwrite: true)
            #expect(try await results.blob("r1/progress.json").download().0 == Data("2".utf8))
            await #expect(throws: StorageError.self) { try await results.blob("r1/result.json").delete() }

            // Another device's queue and container, reached with this grant's tokens: refused.
            let otherQueue = QueueClient(connectionString: try access.queue("requests-a"), queueName: "requests-b")
            let refusal = await #expect(throws: StorageError.self) { _ = try await otherQueue.receive(maxMessages: 1) }
            #expect(refusal?.status == 403)
            let otherContainer = BlobContainerClient(connectionString: try access.container("results-a"), containerName: "results-b")
            let planted = await #expect(throws: StorageError.self) {
                _ = try await otherContainer.blob("r9/result.json").upload(Array("veto".utf8), contentType: "application/json", metadata: [:], overwrite: false)
            }
            #expect(planted?.status == 403)
            #expect(try await QueueClient(connectionString: account, queueName: "requests-b").peek(maxMessages: 1).first?.text == "for b")

            // And the grant itself names nothing else.
            #expect(throws: StorageConfigurationError.self) { try access.queue("requests-b") }
            #expect(throws: StorageConfigurationError.self) { try access.container("results-b") }
        }
    }

    @Test("a module's grant adds requests and can neither read them back nor delete them")
    func moduleGrantScope() async throws {
        try await withServer { server in
            try await QueueClient(connectionString: server.connection, queueName: "requests-a").create()
            let grant = try StorageGrant.issue(from: server.connection, queues: ["requests-a": [.add]], containers: [:], expiresOn: Date().addingTimeInterval(3600))
            let queue = QueueClient(connectionString: try StorageAccess.grant(grant).queue("requests-a"), queueName: "requests-a")
            _ = try await queue.send("sealed request")
            await #expect(throws: StorageError.self) { _ = try await queue.receive(maxMessages: 1) }
            await #expect(throws: StorageError.self) { _ = try await queue.peek(maxMessages: 1) }
            // Creating or deleting the queue needs the account.
            await #expect(throws: StorageError.self) { try await queue.delete() }
        }
    }

    @Test("an expired grant is refused by the server")
    func expiredGrant() async throws {
        try await withServer { server in
            try await QueueClient(connectionString: server.connection, queueName: "requests-a").create()
            let grant = try StorageGrant.issue(from: server.connection, queues: ["requests-a": [.add]], containers: [:], expiresOn: Date().addingTimeInterval(-60))
            let queue = QueueClient(connectionString: try StorageAccess.grant(grant).queue("requests-a"), queueName: "requests-a")
            let error = await #expect(throws: StorageError.self) { _ = try await queue.send("late") }
            #expect(error?.status == 403)
        }
    }

    @Test("a renewal replaces a grant only with a later one for the same account, and saves it privately first")
    func renewal() throws {
        let account = StorageConnectionString.development
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grant-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("agent.storage-grant.json")
        let first = try StorageGrant.issue(from: account, queues: ["requests-a": [.add]], containers: [:], expiresOn: Date().addingTimeInterval(3600))
        try first.jsonData().write(to: file)
        let access = try RenewableStorageAccess.load(grantFile: file)
        #expect(access.current == .grant(first))

        let older = try StorageGrant.issue(from: account, queues: ["requests-a": [.add]], containers: [:], expiresOn: Date().addingTimeInterval(60))
        #expect(throws: StorageConfigurationError.self) { try access.renew(with: older, covering: (["requests-a"], [])) }
        let narrower = try StorageGrant.issue(from: account, queues: ["requests-z": [.add]], containers: [:], expiresOn: Date().addingTimeInterval(7200))
        #expect(throws: StorageConfigurationError.self) { try access.renew(with: narrower, covering: (["requests-a"], [])) }
        var otherAccount = try StorageGrant.issue(from: account, queues: ["requests-a": [.add]], containers: [:], expiresOn: Date().addingTimeInterval(7200))
        otherAccount.accountName = "someoneelse"
        #expect(throws: StorageConfigurationError.self) { try access.renew(with: otherAccount, covering: (["requests-a"], [])) }
        #expect(access.current == .grant(first))

        // Issued where storage is reached by another address: the box keeps its own endpoints.
        var later = try StorageGrant.issue(from: account, queues: ["requests-a": [.add]], containers: [:], expiresOn: Date().addingTimeInterval(7200))
        later.queueEndpoint = try #require(URL(string: "http://203.0.113.9:10001/devstoreaccount1"))
        try access.renew(with: later, covering: (["requests-a"], []))
        var expected = later
        expected.queueEndpoint = first.queueEndpoint
        #expect(access.current == .grant(expected))
        #expect(try StorageGrant.decode(Data(contentsOf: file)) == expected)
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("grant files are bounded and checked: no oversized, malformed or hostile grant is accepted")
    func decodeRefusesBadGrants() throws {
        let good = try StorageGrant.issue(from: .development, queues: ["requests-a": [.add]], containers: ["results-a": [.create]], expiresOn: Date().addingTimeInterval(3600))
        #expect(try StorageGrant.decode(good.jsonData()) == good)
        var hostile = [good, good, good, good]
        hostile[0].queues = ["Bad_Name": "sv=1&sig=x"]
        hostile[1].queues = ["requests-a": "sv=1&sig=x\r\nHost: elsewhere"]
        hostile[2].blobEndpoint = try #require(URL(string: "file:///etc/passwd"))
        hostile[3].containers = Dictionary(uniqueKeysWithValues: (0..<9).map { ("results-\($0)a", "sig=x") })
        for grant in hostile {
            #expect(throws: StorageConfigurationError.self) { try StorageGrant.decode(grant.jsonData()) }
        }
        #expect(throws: StorageConfigurationError.self) { try StorageGrant.decode(Data(repeating: 0x20, count: StorageGrant.maximumEncodedSize + 1)) }
        #expect(throws: StorageConfigurationError.self) { try StorageGrant.decode(Data("{\"accountName\":1}".utf8)) }
        // Every truncation of a good grant is refused or decodes to a grant that passes the checks.
        let bytes = try good.jsonData()
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            if let grant = try? StorageGrant.decode(bytes.prefix(cut)) { #expect(grant.queues.count + grant.containers.count <= StorageGrant.maximumResources) }
        }
    }
}
