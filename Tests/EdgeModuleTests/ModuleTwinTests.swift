import AzureStorage
import EdgeModule
import Foundation
import HubService
import IoTHub
import Logging
import ServiceLifecycle
import StorageService
import Testing
import Verification

/// The module applies the twin's desired properties and acknowledges each in the reported ones,
/// on the built-in hub.
@Suite struct ModuleTwinTests {
    @Test func desiredPropertiesAreAppliedAndReported() async throws {
        var logger = Logger(label: "module-twin-test")
        logger.logLevel = .critical
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("edgefactor-twin-\(UUID().uuidString.prefix(8))")
        let storage = try await StorageServer.start(StorageServerConfiguration(
            dataDirectory: root.appendingPathComponent("storage").path, blobPort: 0, queuePort: 0, logger: logger))
        var hubConfiguration = HubConfiguration.ephemeral(logger: logger)
        hubConfiguration.dataDirectory = root.appendingPathComponent("hub")
        let hub = try await HubServer.start(hubConfiguration)
        defer {
            Task {
                await hub.shutdown()
                await storage.stop()
                try? FileManager.default.removeItem(at: root)
            }
        }
        let connection = try await hub.addModule(deviceId: "dev1", moduleId: "mod1")
        var options = hub.clientOptions(plainTCP: true)
        options.logger = logger
        let service = hub.serviceClient()
        // A desired property set before the module starts is applied when it connects.
        _ = try await service.updateDesiredProperties(deviceId: "dev1", moduleId: "mod1", Data(#"{"defaultThreshold":85}"#.utf8))

        let module = EdgeModuleService(
            configuration: EdgeModuleConfiguration(
                hub: .connectionString(connection, options), storage: storage.storageConnectionString, moduleSecret: .generate()),
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [module], gracefulShutdownSignals: [], logger: logger))
        let running = Task { try await group.run() }

        func reported() async throws -> [String: JSONValue] {
            try await service.getTwin(deviceId: "dev1", moduleId: "mod1").properties?.reported ?? [:]
        }
        try await poll { try await reported()["defaultThreshold"]?["ac"] == .int(200) }
        let first = try await reported()
        #expect(first["defaultThreshold"]?["value"] == .double(85) || first["defaultThreshold"]?["value"] == .int(85))
        #expect(first["settings"]?["requestsQueue"] == .string(ResultLocation.defaultRequestsQueue))

        // A patch while connected: one valid value, one refused with the reason.
        _ = try await service.updateDesiredProperties(
            deviceId: "dev1", moduleId: "mod1", Data(#"{"requestLifetimeSeconds":30,"requestsQueue":"Bad_Name"}"#.utf8))
        try await poll { try await reported()["requestsQueue"]?["ac"] == .int(400) }
        let twin = try await reported()
        #expect(twin["requestLifetimeSeconds"]?["ac"] == .int(200))
        if case .string(let why) = twin["requestsQueue"]?["ad"] { #expect(why.contains("lowercase")) } else { Issue.record("no reason reported") }
        if case .int(let version) = twin["requestsQueue"]?["av"] { #expect(version >= 2) } else { Issue.record("no desired version reported") }

        await group.triggerGracefulShutdown()
        _ = await running.result
    }

    private func poll(_ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("condition not met within 20 s")
    }
}
