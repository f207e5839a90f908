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

/// The module tells the agent its settings: sealed with the module's secret, on the queue the agent
/// reads (and on the new one when the queue changes), with the desired version as revision.
@Suite struct ModuleAgentSettingsTests {
    @Test func settingsAreSealedOntoTheOldAndNewQueues() async throws {
        var logger = Logger(label: "module-agent-settings-test")
        logger.logLevel = .critical
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("edgefactor-settings-\(UUID().uuidString.prefix(8))")
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
        let secret = SharedSecret.generate()
        _ = try await service.updateDesiredProperties(deviceId: "dev1", moduleId: "mod1", Data(#"{"model":"efficientnet-lite1"}"#.utf8))

        let module = EdgeModuleService(
            configuration: EdgeModuleConfiguration(hub: .connectionString(connection, options), storage: storage.storageConnectionString, moduleSecret: secret),
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [module], gracefulShutdownSignals: [], logger: logger))
        let running = Task { try await group.run() }

        func reported() async throws -> [String: JSONValue] {
            try await service.getTwin(deviceId: "dev1", moduleId: "mod1").properties?.reported ?? [:]
        }
        func settings(on queueName: String) async throws -> [AgentSettings] {
            let queue = QueueClient(connectionString: storage.storageConnectionString, queueName: queueName)
            return try await queue.peek(maxMessages: 32).map { message in
                let envelope = try SignedEnvelope.decode(Data(message.text.utf8))
                #expect(envelope.keyId == "mod1")
                return try envelope.open(AgentSettings.self, kind: .agentSettings, secret: secret)
            }
        }
        let defaultQueue = ResultLocation.defaultRequestsQueue

        // After connecting: the desired document's settings, on the queue the agent starts with.
        try await poll { try await reported()["agentSettings"]?["delivered"] == .bool(true) }
        let first = try #require(try await settings(on: defaultQueue).first)
        #expect(first.model == "efficientnet-lite1")
        #expect(first.requestsQueue == defaultQueue)
        let firstVersion = try await service.getTwin(deviceId: "dev1", moduleId: "mod1").properties?.desired["$version"]
        #expect(firstVersion == .int(Int64(first.revision)))

        // A threshold change is not the agent's business: nothing new is sent.
        _ = try await service.updateDesiredProperties(deviceId: "dev1", moduleId: "mod1", Data(#"{"defaultThreshold":90}"#.utf8))
        try await poll { try await reported()["defaultThreshold"]?["ac"] == .int(200) }
        #expect(try await settings(on: defaultQueue).count == 1)

        // A new queue: the message goes to the old queue (the agent reads it) and to the new one.
        _ = try await service.updateDesiredProperties(
            deviceId: "dev1", moduleId: "mod1", Data(#"{"requestsQueue":"edge-requests-2","responsesContainer":"evidence-2"}"#.utf8))
        try await poll { try await settings(on: "edge-requests-2").count == 1 }
        let onOld = try await settings(on: defaultQueue)
        let onNew = try await settings(on: "edge-requests-2")
        #expect(onOld.count == 2)
        let latest = try #require(onOld.max { $0.revision < $1.revision })
        #expect(latest == onNew.first)
        #expect(latest.revision > first.revision)
        #expect(latest.requestsQueue == "edge-requests-2")
        #expect(latest.responsesContainer == "evidence-2")
        try await poll { try await reported()["agentSettings"]?["revision"] == .int(Int64(latest.revision)) }
        #expect(try await reported()["agentSettings"]?["delivered"] == .bool(true))

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
