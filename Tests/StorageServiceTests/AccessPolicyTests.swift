import AzureStorage
import Foundation
import Testing

@Suite("Stored access policies with the Swift client")
struct AccessPolicyTests {
    private func sasConnection(_ server: TestServer, token: String) -> StorageConnectionString {
        StorageConnectionString(
            accountName: server.connection.accountName, blobEndpoint: server.connection.blobEndpoint,
            queueEndpoint: server.connection.queueEndpoint, credential: .sharedAccessSignature(token)
        )
    }

    @Test("a queue SAS bound to a policy works until the policy is removed")
    func queuePolicy() async throws {
        try await withServer { server in
            let name = uniqueName("jobs")
            let owner = QueueClient(connectionString: server.connection, queueName: name)
            try await owner.create()
            let expiry = Date().addingTimeInterval(3600)
            try await owner.setAccessPolicies([StoredAccessPolicy(id: "device-7", permissions: "ap", expiresOn: expiry)])
            let stored = try await owner.accessPolicies()
            #expect(stored.map(\.id) == ["device-7"])
            #expect(stored.first?.permissions == "ap")
            #expect(abs((stored.first?.expiresOn ?? .distantPast).timeIntervalSince(expiry)) < 1)

            let token = try owner.sasToken(policy: "device-7")
            #expect(token.contains("si=device-7") && !token.contains("sp=") && !token.contains("se="))
            let device = QueueClient(connectionString: sasConnection(server, token: token), queueName: name)
            _ = try await device.send("hello")
            #expect(try await device.receive(maxMessages: 1).map(\.text) == ["hello"])

            try await owner.setAccessPolicies([])
            let revoked = await #expect(throws: StorageError.self) { _ = try await device.send("again") }
            #expect(revoked?.status == 403 && revoked?.code == "AuthenticationFailed")
        }
    }

    @Test("a container SAS bound to a policy grants the policy's letters only, until it is removed")
    func containerPolicy() async throws {
        try await withServer { server in
            let name = uniqueName("data")
            let owner = BlobContainerClient(connectionString: server.connection, containerName: name)
            try await owner.create()
            try await owner.blob("a.txt").upload(Array("a".utf8))
            try await owner.setAccessPolicies([
                StoredAccessPolicy(id: "reader", permissions: "rl", expiresOn: Date().addingTimeInterval(3600)),
                StoredAccessPolicy(id: "spare"),
            ])
            #expect(try await owner.accessPolicies().map(\.id) == ["reader", "spare"])
            let reader = BlobContainerClient(
                connectionString: sasConnection(server, token: try owner.sasToken(policy: "reader")), containerName: name
            )
            #expect(try await reader.list().allItems().map(\.name) == ["a.txt"])
            #expect(Array(try await reader.blob("a.txt").download().data) == Array("a".utf8))
            let refused = await #expect(throws: StorageError.self) { try await reader.blob("b.txt").upload(Array("b".utf8)) }
            #expect(refused?.status == 403)

            try await owner.setAccessPolicies([StoredAccessPolicy(id: "spare")])
            let revoked = await #expect(throws: StorageError.self) { _ = try await reader.list().allItems() }
            #expect(revoked?.status == 403 && revoked?.code == "AuthenticationFailed")
        }
    }

    @Test("more than five policies are refused")
    func tooMany() async throws {
        try await withServer { server in
            let owner = QueueClient(connectionString: server.connection, queueName: uniqueName("many"))
            try await owner.create()
            let six = (1...6).map { StoredAccessPolicy(id: "p\($0)", permissions: "r") }
            let error = await #expect(throws: StorageError.self) { try await owner.setAccessPolicies(six) }
            #expect(error?.status == 400)
            #expect(try await owner.accessPolicies().isEmpty)
        }
    }
}
