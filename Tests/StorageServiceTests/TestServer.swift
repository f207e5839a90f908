import AzureStorage
import Foundation
import StorageService

/// A real storage server on loopback ports chosen by the OS, with its own temporary data directory.
struct TestServer {
    let server: StorageServer
    let directory: String

    static func start(directory: String? = nil, configure: (inout StorageServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        let path = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("storage-test-\(UUID().uuidString)").path
        var configuration = StorageServerConfiguration(dataDirectory: path, blobPort: 0, queuePort: 0)
        configure(&configuration)
        return TestServer(server: try await StorageServer.start(configuration), directory: path)
    }

    var connection: StorageConnectionString { server.storageConnectionString }

    func stop(removeData: Bool = true) async {
        await server.stop()
        if removeData { try? FileManager.default.removeItem(atPath: directory) }
    }
}

/// Runs `body` against a fresh server and always stops it.
func withServer<T>(
    configure: (inout StorageServerConfiguration) -> Void = { _ in },
    _ body: (TestServer) async throws -> T
) async throws -> T {
    let server = try await TestServer.start(configure: configure)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}
