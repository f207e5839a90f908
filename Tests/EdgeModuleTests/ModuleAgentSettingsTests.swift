import AzureStorage
import Foundation
import IoTHub
import Testing
import Verification

/// The module tells the agent its settings: sealed with the module's secret, on the queue the agent
/// reads (and on the new one when the queue changes), with the desired version as revision.
@Suite struct ModuleAgentSettingsTests {
    @Test func settingsAreSealedOntoTheOldAndNewQueues() async throws {
        try await ModuleHarness.run(name: "settings") { rig in
            let secret = SharedSecret.generate()
            try await rig.desire(#"{"model":"efficientnet-lite1"}"#)
            rig.start(secret: secret)

            func settings(on queueName: String) async throws -> [AgentSettings] {
                let queue = QueueClient(connectionString: rig.storage.storageConnectionString, queueName: queueName)
                return try await queue.peek(maxMessages: 32).map { message in
                    let envelope = try SignedEnvelope.decode(Data(message.text.utf8))
                    #expect(envelope.keyId == "mod1")
                    return try envelope.open(AgentSettings.self, kind: .agentSettings, secret: secret)
                }
            }
            let defaultQueue = DeviceStorageNames(deviceId: "dev1").requestsQueue

            // After connecting: the desired document's settings, on the queue the agent starts with.
            try await rig.poll { try await rig.reported()["agentSettings"]?["delivered"] == .bool(true) }
            let first = try #require(try await settings(on: defaultQueue).first)
            #expect(first.model == "efficientnet-lite1")
            #expect(first.requestsQueue == defaultQueue)
            let firstVersion = try await rig.service.getTwin(deviceId: "dev1", moduleId: "mod1").properties?.desired["$version"]
            #expect(firstVersion == .int(Int64(first.revision)))

            // A threshold change is not the agent's business: nothing new is sent.
            try await rig.desire(#"{"defaultThreshold":90}"#)
            try await rig.poll { try await rig.reported()["defaultThreshold"]?["ac"] == .int(200) }
            #expect(try await settings(on: defaultQueue).count == 1)

            // A new queue: the message goes to the old queue (the agent reads it) and to the new one.
            try await rig.desire(#"{"requestsQueue":"edge-requests-2","responsesContainer":"evidence-2"}"#)
            try await rig.poll { try await settings(on: "edge-requests-2").count == 1 }
            let onOld = try await settings(on: defaultQueue)
            let onNew = try await settings(on: "edge-requests-2")
            #expect(onOld.count == 2)
            let latest = try #require(onOld.max { $0.revision < $1.revision })
            #expect(latest == onNew.first)
            #expect(latest.revision > first.revision)
            #expect(latest.requestsQueue == "edge-requests-2")
            #expect(latest.responsesContainer == "evidence-2")
            try await rig.poll { try await rig.reported()["agentSettings"]?["revision"] == .int(Int64(latest.revision)) }
            #expect(try await rig.reported()["agentSettings"]?["delivered"] == .bool(true))
        }
    }
}
