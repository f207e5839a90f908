import EdgeModule
import Foundation
import HubService
import IoTHub
import Logging
import ServiceLifecycle
import StorageService
import Synchronization
import TestSupport
import Testing
import Verification

/// The built-in storage and hub on loopback with module `dev1/mod1` registered, and the edge
/// module running against them once ``start(secret:configure:)`` is called.
final class ModuleHarness: Sendable {
    let logger: Logger
    private let local: LocalServices
    let service: ServiceClient
    private let connection: IoTHubConnectionString
    private let options: HubClientOptions
    /// The module's group and the task running it, once started.
    private let module = Mutex<(group: ServiceGroup, task: Task<Void, any Error>)?>(nil)

    var storage: RunningStorageServer { local.storage }
    var hub: RunningHubServer { local.hub }

    /// Runs `body` with a new harness; the module, the hub and storage stop, awaited, afterwards
    /// whether `body` threw or not.
    static func run(name: String, _ body: (ModuleHarness) async throws -> Void) async throws {
        var logger = Logger(label: "module-\(name)-test")
        logger.logLevel = .critical
        try await withLocalServices(logger: logger) { (local: LocalServices) in
            let harness = try await ModuleHarness(logger: logger, local: local)
            try await withFixture(harness, tearDown: { await $0.stopModule() }, body)
        }
    }

    private init(logger: Logger, local: LocalServices) async throws {
        self.logger = logger
        self.local = local
        connection = try await local.hub.addModule(deviceId: "dev1", moduleId: "mod1")
        var options = local.hub.clientOptions(plainTCP: true)
        options.logger = logger
        self.options = options
        service = local.hub.serviceClient()
    }

    /// Stops storage gracefully while the module runs on.
    func stopStorage() async { await local.stopStorage() }

    /// Runs the edge module with `secret` until the harness ends.
    @discardableResult
    func start(secret: SharedSecret, configure: (inout EdgeModuleConfiguration) -> Void = { _ in }) -> EdgeModuleService {
        var configuration = EdgeModuleConfiguration(hub: .connectionString(connection, options), storage: storage.storageConnectionString, moduleSecret: secret)
        configure(&configuration)
        let module = EdgeModuleService(configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [module], gracefulShutdownSignals: [], logger: logger))
        self.module.withLock { $0 = (group, Task { try await group.run() }) }
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

    /// Waits up to 20 s for `condition` (an error counts as not yet); records an issue if it never holds.
    func poll(_ condition: () async throws -> Bool) async throws {
        if await !eventually(timeout: .seconds(20), pollingEvery: .milliseconds(100), { (try? await condition()) == true }) {
            Issue.record("condition not met within 20 s")
        }
    }

    private func stopModule() async {
        guard let running = module.withLock({ $0.take() }) else { return }
        await running.group.triggerGracefulShutdown()
        _ = await running.task.result
    }
}
