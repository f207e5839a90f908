package import Foundation
package import HubService
package import Logging
package import StorageService

/// The built-in storage and hub, as a test meets them: each on loopback ports the kernel picks, in
/// a temporary folder of their own, for the length of `body`.
///
/// Both servers run in child tasks of this call (their `withRunning` scopes, nested); when `body`
/// returns or throws they shut down gracefully, this call waits for them, and the folder is removed.
/// Nothing is left running, so tests using it can run in parallel.
/// - Parameters:
///   - storageTLS: serve storage over HTTPS with a certificate signed by the hub's development CA
///     (made by the storage first in `hub/certs`, then found there by the hub).
///   - configureStorage, configureHub: changes to the servers' configurations.
package func withLocalServices<Result>(
    logger: Logger = LocalServices.quietLogger,
    storageTLS: Bool = false,
    configureStorage: (inout StorageServerConfiguration) -> Void = { _ in },
    configureHub: (inout HubConfiguration) -> Void = { _ in },
    _ body: (RunningStorageServer, RunningHubServer) async throws -> Result
) async throws -> Result {
    let root = try LocalServices.makeRoot()
    defer { try? FileManager.default.removeItem(at: root) }
    var storageConfiguration = StorageServerConfiguration(
        dataDirectory: root.appendingPathComponent("storage").path, blobPort: 0, queuePort: 0,
        tls: storageTLS ? .developmentCA(caDirectory: root.appendingPathComponent("hub/certs").path) : nil, logger: logger)
    configureStorage(&storageConfiguration)
    var hubConfiguration = HubConfiguration(
        dataDirectory: root.appendingPathComponent("hub"), mqttTLSPort: 0, mqttPlainPort: 0, restPort: 0, logger: logger)
    configureHub(&hubConfiguration)
    return try await StorageServer.withRunning(storageConfiguration) { storage in
        try await HubServer.withRunning(hubConfiguration) { hub in
            try await body(storage, hub)
        }
    }
}

/// Defaults shared by the fixtures that run the built-in servers.
package enum LocalServices {
    /// A logger that prints only critical messages, or everything at debug level when
    /// `EDGEFACTOR_TEST_LOG` is set.
    package static var quietLogger: Logger {
        var logger = Logger(label: "edgefactor-test")
        logger.logLevel = ProcessInfo.processInfo.environment["EDGEFACTOR_TEST_LOG"] == nil ? .critical : .debug
        return logger
    }

    /// A new, empty temporary folder for one fixture.
    package static func makeRoot() throws -> URL {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("edgefactor-test-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return root
    }
}

/// Runs `body` with `fixture`, then awaits `tearDown` whether `body` returned or threw: the scoped
/// form for fixtures built in an `init` (a harness with several services), so that no test leaves
/// its teardown to a task nobody waits for.
package func withFixture<Fixture, Result>(
    _ fixture: Fixture, tearDown: (Fixture) async -> Void, _ body: (Fixture) async throws -> Result
) async throws -> Result {
    let result: Result
    do {
        result = try await body(fixture)
    } catch {
        await tearDown(fixture)
        throw error
    }
    await tearDown(fixture)
    return result
}
