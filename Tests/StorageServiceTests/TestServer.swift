import AzureStorage
import Foundation
import StorageService
import TestSupport

/// A real storage server on loopback ports chosen by the OS, with its own temporary data directory.
struct TestServer {
    let server: RunningStorageServer
    let directory: String
    /// Set for a server the test stops itself; nil inside ``withServer(configure:_:)``'s scope.
    var background: BackgroundServer<RunningStorageServer>? = nil

    /// A server the test stops itself (for tests that restart one on the same data directory).
    static func start(directory: String? = nil, configure: (inout StorageServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        let (path, configuration) = configuration(directory: directory, configure: configure)
        let background = try await BackgroundServer.start { body in try await StorageServer.withRunning(configuration, body) }
        return TestServer(server: background.handle, directory: path, background: background)
    }

    static func configuration(
        directory: String? = nil, configure: (inout StorageServerConfiguration) -> Void
    ) -> (String, StorageServerConfiguration) {
        let path = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("storage-test-\(UUID().uuidString)").path
        var configuration = StorageServerConfiguration(dataDirectory: path, blobPort: 0, queuePort: 0)
        configure(&configuration)
        return (path, configuration)
    }

    var connection: StorageConnectionString { server.storageConnectionString }

    func stop(removeData: Bool = true) async {
        await background?.stop()
        if removeData { try? FileManager.default.removeItem(atPath: directory) }
    }
}


/// Runs `body` against a fresh server and always stops it.
func withServer<T>(
    configure: (inout StorageServerConfiguration) -> Void = { _ in },
    _ body: (TestServer) async throws -> T
) async throws -> T {
    let (path, configuration) = TestServer.configuration(configure: configure)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await StorageServer.withRunning(configuration) { server in
        try await body(TestServer(server: server, directory: path))
    }
}

func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}
