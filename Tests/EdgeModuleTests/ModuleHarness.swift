import EdgeModule
import Foundation
import HubService
import IoTHub
import Logging
import ServiceLifecycle
import StorageService
import TestSupport
import Testing
import Verification

/// The built-in storage and hub on loopback with module `dev1/mod1` registered, and the edge
/// module running against them once ``start(secret:)`` is called.
final class ModuleHarness: @unchecked Sendable {
    // Used from one test task at a time.
    let logger: Logger
    let root: URL
    let storage: RunningStorageServer
    let storageServer: BackgroundServer<RunningStorageServer>
    let hub: RunningHubServer
    let hubServer: BackgroundServer<RunningHubServer>
    let service: ServiceClient
    private let connection: IoTHubConnectionString
    private let options: HubClientOptions
    private var group: ServiceGroup?
    private var running: Task<Void, any Error>?

    /// Runs `body` with a new harness, and stops it afterwards whether `body` threw or not.
    static func run(name: String, _ body: (ModuleHarness) async throws -> Void) async throws {
        let rig = try await ModuleHarness(name: name)
        do {
            try await body(rig)
        } catch {
            await rig.stop()
            throw error
        }
        await rig.stop()
    }

    private init(name: String) async throws {
        var logger = Logger(label: "module-\(name)-test")
        logger.logLevel = .critical
        self.logger = logger
        root = FileManager.default.temporaryDirectory.appendingPathComponent("edgefactor-\(name)-\(UUID().uuidString.prefix(8))")
        let storageConfiguration = StorageServerConfiguration(
            dataDirectory: root.appendingPathComponent("storage").path, blobPort: 0, queuePort: 0, logger: logger)
        storageServer = try await BackgroundServer.start { try await StorageServer.withRunning(storageConfiguration, $0) }
        storage = storageServer.handle
        var hubConfiguration = HubConfiguration.ephemeral(logger: logger)
        hubConfiguration.dataDirectory = root.appendingPathComponent("hub")
        let hubConfigurationToRun = hubConfiguration
        hubServer = try await BackgroundServer.start { try await HubServer.withRunning(hubConfigurationToRun, $0) }
        hub = hubServer.handle
        connection = try await hub.addModule(deviceId: "dev1", moduleId: "mod1")
        var options = hub.clientOptions(plainTCP: true)
        options.logger = logger
        self.options = options
        service = hub.serviceClient()
    }

    /// Runs the edge module with `secret` until ``stop()``.
    @discardableResult
    func start(secret: SharedSecret, configure: (inout EdgeModuleConfiguration) -> Void = { _ in }) -> EdgeModuleService {
        var configuration = EdgeModuleConfiguration(hub: .connectionString(connection, options), storage: storage.storageConnectionString, moduleSecret: secret)
        configure(&configuration)
        let module = EdgeModuleService(configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [module], gracefulShutdownSignals: [], logger: logger))
        self.group = group
        running = Task { try await group.run() }
        return module
    }

    /// Patches the module twin's desired properties.
    func desire(_ json: String) async throws {
        _ = try await service.updateDesiredProperties(deviceId: "dev1", moduleId: "mod1", Data(json.utf8))
    }

    /// The module twin's reported properties.
    func reported() async throws -> [String: JSONValue] {
        try await service.getTwin(deviceId: "dev1", moduleId: "mod1").properties?.reported ?? [:]
    }

    /// Waits up to 20 s for `condition`; records an issue if it never holds.
    func poll(_ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("condition not met within 20 s")
    }

    /// Stops the module, the hub and storage, and removes the data.
    private func stop() async {
        await group?.triggerGracefulShutdown()
        _ = await running?.result
        await hubServer.stop()
        await storageServer.stop()
        try? FileManager.default.removeItem(at: root)
    }
}
