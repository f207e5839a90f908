import AzureStorage
import Foundation
import StorageService
import Testing

/// HTTPS on the built-in storage: the development CA (shared with the hub), certificate files, and
/// the two mistakes a client makes (not trusting the CA; plain http to the TLS port).
@Suite("Storage over HTTPS")
struct StorageTLSTests {
    static func temporaryFolder(_ prefix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))").path
    }

    @Test("with the development CA it serves https; a client trusting ca.pem uses queues and blobs; keys are 0600")
    func developmentCA() async throws {
        let caFolder = Self.temporaryFolder("storage-ca")
        defer { try? FileManager.default.removeItem(atPath: caFolder) }
        try await withServer(configure: { $0.tls = .developmentCA(caDirectory: caFolder) }) { server in
            #expect(server.connection.blobEndpoint.scheme == "https")
            #expect(server.connection.queueEndpoint.scheme == "https")
            #expect(server.server.connectionString.hasPrefix("DefaultEndpointsProtocol=https;"))
            let caFile = try #require(server.server.caCertificateFile)
            #expect(caFile.path == caFolder + "/ca.pem")
            try StorageTrust.add(caFile: caFile.path)

            let queue = QueueClient(connectionString: server.connection, queueName: uniqueName("tls"))
            try await queue.create()
            try await queue.send("over https")
            #expect(try await queue.receive().map(\.text) == ["over https"])
            let container = BlobContainerClient(connectionString: server.connection, containerName: uniqueName("tls"))
            try await container.create()
            let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try await container.blob("b.bin").upload(bytes)
            #expect(Array(try await container.blob("b.bin").download().data) == bytes)

            #expect(fileMode(caFolder) == 0o700)
            #expect(fileMode(caFolder + "/ca-key.pem") == 0o600)
            #expect(fileMode(server.directory + "/certs") == 0o700)
            #expect(fileMode(server.directory + "/certs/server-key.pem") == 0o600)
        }
    }

    @Test("a second service on the same CA folder is signed by the same CA, so one ca.pem trusts both")
    func sharedCA() async throws {
        let caFolder = Self.temporaryFolder("storage-ca")
        defer { try? FileManager.default.removeItem(atPath: caFolder) }
        let first = try await TestServer.start { $0.tls = .developmentCA(caDirectory: caFolder) }
        let second = try await TestServer.start { $0.tls = .developmentCA(caDirectory: caFolder) }
        #expect(first.server.caCertificatePEM != nil)
        #expect(first.server.caCertificatePEM == second.server.caCertificatePEM)
        try StorageTrust.add(caFile: caFolder + "/ca.pem")
        for server in [first, second] {
            try await QueueClient(connectionString: server.connection, queueName: uniqueName("shared")).create()
        }
        await first.stop()
        await second.stop()
    }

    @Test("a restart keeps the certificate; another CA folder re-issues it, signed by that CA")
    func reissuedForAnotherCA() async throws {
        let first = Self.temporaryFolder("storage-ca-first")
        let second = Self.temporaryFolder("storage-ca-second")
        let data = Self.temporaryFolder("storage-reissue")
        defer { for path in [first, second, data] { try? FileManager.default.removeItem(atPath: path) } }
        func certificate() throws -> String { try String(contentsOfFile: data + "/certs/server.pem", encoding: .utf8) }

        let a = try await TestServer.start(directory: data) { $0.tls = .developmentCA(caDirectory: first) }
        await a.stop(removeData: false)
        let issued = try certificate()
        let again = try await TestServer.start(directory: data) { $0.tls = .developmentCA(caDirectory: first) }
        await again.stop(removeData: false)
        #expect(try certificate() == issued)

        let b = try await TestServer.start(directory: data) { $0.tls = .developmentCA(caDirectory: second) }
        #expect(try certificate() != issued)
        #expect(b.server.caCertificatePEM != a.server.caCertificatePEM)
        try StorageTrust.add(caFile: second + "/ca.pem")
        try await QueueClient(connectionString: b.connection, queueName: uniqueName("reissued")).create()
        await b.stop()
    }

    @Test("a client that does not trust the certificate gets TLSFailed, naming the fix, without retrying")
    func untrustedCertificate() async throws {
        let caFolder = Self.temporaryFolder("storage-ca-untrusted")
        defer { try? FileManager.default.removeItem(atPath: caFolder) }
        // This CA is never added to StorageTrust.
        try await withServer(configure: { $0.tls = .developmentCA(caDirectory: caFolder) }) { server in
            let queue = QueueClient(connectionString: server.connection, queueName: uniqueName("untrusted"))
            let error = try await #require(throws: StorageError.self) { try await queue.create() }
            #expect(error.status == 0)
            #expect(error.code == "TLSFailed")
            #expect(error.message.contains("--storage-ca-file"))
        }
    }

    @Test("plain http to the https port is answered 400 PlainHTTPOnHTTPSPort, saying to use https")
    func plainHTTPToTLSPort() async throws {
        let caFolder = Self.temporaryFolder("storage-ca-plain")
        defer { try? FileManager.default.removeItem(atPath: caFolder) }
        try await withServer(configure: { $0.tls = .developmentCA(caDirectory: caFolder) }) { server in
            let https = server.connection
            func plain(_ url: URL) throws -> URL {
                var components = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false))
                components.scheme = "http"
                return try #require(components.url)
            }
            let connection = StorageConnectionString(
                accountName: https.accountName, blobEndpoint: try plain(https.blobEndpoint), queueEndpoint: try plain(https.queueEndpoint),
                credential: https.credential)
            let queue = QueueClient(connectionString: connection, queueName: uniqueName("plain"))
            let error = try await #require(throws: StorageError.self) { try await queue.create() }
            #expect(error.status == 400)
            #expect(error.code == "PlainHTTPOnHTTPSPort")
            #expect(error.message.contains("https://"))
        }
    }

    @Test("certificate files: served as given; a missing key is a clear error at start")
    func certificateFiles() async throws {
        let caFolder = Self.temporaryFolder("storage-ca-files")
        defer { try? FileManager.default.removeItem(atPath: caFolder) }
        // A certificate and key from the development CA, then given as files to another service.
        let maker = try await TestServer.start { $0.tls = .developmentCA(caDirectory: caFolder) }
        await maker.stop(removeData: false)
        defer { try? FileManager.default.removeItem(atPath: maker.directory) }
        let chain = maker.directory + "/certs/server.pem"
        let key = maker.directory + "/certs/server-key.pem"
        try StorageTrust.add(caFile: caFolder + "/ca.pem")
        try await withServer(configure: { $0.tls = .files(certificateChain: chain, privateKey: key) }) { server in
            #expect(server.server.caCertificateFile == nil)
            #expect(server.connection.queueEndpoint.scheme == "https")
            try await QueueClient(connectionString: server.connection, queueName: uniqueName("files")).create()
        }
        let error = await #expect(throws: StorageServerError.self) {
            _ = try await TestServer.start { $0.tls = .files(certificateChain: chain, privateKey: key + ".missing") }
        }
        #expect(error?.message.contains("--private-key") == true)
    }

    @Test("TLS with an account of its own may listen off loopback; with the development key it still may not")
    func bindPolicy() async throws {
        let caFolder = Self.temporaryFolder("storage-ca-bind")
        defer { try? FileManager.default.removeItem(atPath: caFolder) }
        let error = await #expect(throws: StorageServerError.self) {
            _ = try await TestServer.start {
                $0.host = "0.0.0.0"
                $0.tls = .developmentCA(caDirectory: caFolder)
            }
        }
        #expect(error?.message.contains("well-known development account key") == true)
        #expect(error?.message.contains("plain-HTTP") == false)
        let account = try StorageAccount(name: "tlsaccount", keys: [Data((0..<32).map { UInt8($0) }).base64EncodedString()])
        let server = try await TestServer.start {
            $0.host = "0.0.0.0"
            $0.hostName = "127.0.0.1"
            $0.accounts = [account]
            $0.tls = .developmentCA(caDirectory: caFolder)
        }
        #expect(server.connection.queueEndpoint.host == "127.0.0.1")
        await server.stop()
    }
}
