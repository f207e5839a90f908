package import Foundation
package import HubService
package import Logging
package import StorageService

/// The built-in storage and hub as a test meets them: on loopback ports the kernel picks, in a
/// temporary folder of their own, for the length of `body`; afterwards both have shut down
/// (awaited) and the folder is gone, whether `body` returned or threw. Nothing is left running, so
/// tests using it run in parallel.
///
/// ```swift
/// try await withLocalServices { storage, hub in … }
/// ```
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
    try await withLocalServices(
        logger: logger, storageTLS: storageTLS, configureStorage: configureStorage, configureHub: configureHub
    ) { (services: LocalServices) in
        try await body(services.storage, services.hub)
    }
}

/// ``withLocalServices(logger:storageTLS:configureStorage:configureHub:_:)`` for a test that takes
/// a server away while it runs (readiness following a dependency): `body` gets both servers with
/// ``LocalServices/stopStorage()`` and ``LocalServices/stopHub()``.
package func withLocalServices<Result>(
    logger: Logger = LocalServices.quietLogger,
    storageTLS: Bool = false,
    configureStorage: (inout StorageServerConfiguration) -> Void = { _ in },
    configureHub: (inout HubConfiguration) -> Void = { _ in },
    _ body: (LocalServices) async throws -> Result
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
    let storageToRun = storageConfiguration, hubToRun = hubConfiguration
    // Each server runs beside the test, so that a test can stop one; both stop when `body` ends.
    let storageServer = try await BackgroundServer.start { try await StorageServer.withRunning(storageToRun, $0) }
    return try await withFixture(storageServer, tearDown: { await $0.stop() }) { storageServer in
        let hubServer = try await BackgroundServer.start { try await HubServer.withRunning(hubToRun, $0) }
        return try await withFixture(hubServer, tearDown: { await $0.stop() }) { hubServer in
            try await body(LocalServices(root: root, storageServer: storageServer, hubServer: hubServer))
        }
    }
}

/// The servers of ``withLocalServices(logger:storageTLS:configureStorage:configureHub:_:)``.
package struct LocalServices: Sendable {
    /// The temporary folder both servers keep their data in (removed afterwards).
    package let root: URL
    private let storageServer: BackgroundServer<RunningStorageServer>
    private let hubServer: BackgroundServer<RunningHubServer>

    package var storage: RunningStorageServer { storageServer.handle }
    package var hub: RunningHubServer { hubServer.handle }

    fileprivate init(root: URL, storageServer: BackgroundServer<RunningStorageServer>, hubServer: BackgroundServer<RunningHubServer>) {
        self.root = root
        self.storageServer = storageServer
        self.hubServer = hubServer
    }

    /// Shuts storage down gracefully while the test goes on.
    package func stopStorage() async { await storageServer.stop() }

    /// Shuts the hub down gracefully while the test goes on.
    package func stopHub() async { await hubServer.stop() }

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
