import Foundation
import Testing
import Verification

@testable import EdgeModule

/// Desired properties: valid values applied, invalid ones refused and reported with a reason.
@Suite struct ModuleSettingsTests {
    @Test func appliesValidAndRefusesInvalidValues() throws {
        var settings = ModuleSettings()
        let acks = settings.apply(desired: [
            "defaultThreshold": 85, "requestLifetimeSeconds": "45", "requestsQueue": "Bad_Name",
            "responsesContainer": "evidence-2", "model": "efficientnet-lite1", "$version": 7, "unrelated": true,
        ])
        #expect(settings.defaultThreshold == 85)
        #expect(settings.requestLifetime == 45)
        #expect(settings.requestsQueue == ModuleSettings().requestsQueue)
        #expect(settings.responsesContainer == "evidence-2")
        #expect(settings.model == "efficientnet-lite1")
        #expect(acks.count == 5)
        #expect(acks.filter { !$0.accepted }.map(\.key) == ["requestsQueue"])

        let patch = ModuleSettings.reportedPatch(acks, version: 7)
        #expect(patch["requestsQueue"]?["ac"] == 400)
        #expect(patch["defaultThreshold"]?["ac"] == 200)
        #expect(patch["defaultThreshold"]?["av"] == 7)
        #expect(patch["defaultThreshold"]?["value"] == 85.0)
    }

    @Test func outOfRangeNumbersAreRefused() {
        var settings = ModuleSettings()
        let acks = settings.apply(desired: ["defaultThreshold": 0, "requestLifetimeSeconds": 100_000])
        #expect(acks.allSatisfy { !$0.accepted })
        #expect(settings == ModuleSettings())
        #expect(settings.apply(desired: [:]).isEmpty)
    }

    @Test func storageNamesFollowAzureRules() {
        #expect(AgentSettings.isValidStorageName("iot-edge-object-classification-requests"))
        #expect(!AgentSettings.isValidStorageName("ab"))
        #expect(!AgentSettings.isValidStorageName("a--b"))
        #expect(!AgentSettings.isValidStorageName("-ab"))
        #expect(!AgentSettings.isValidStorageName("UPPER"))
    }

    @Test func agentSettingsChangeOnlyWithQueueContainerOrModel() {
        let base = ModuleSettings()
        var other = base
        other.defaultThreshold = 90
        other.requestLifetime = 20
        #expect(other.sameAgentSettings(as: base))
        for change in [\ModuleSettings.requestsQueue, \ModuleSettings.responsesContainer, \ModuleSettings.model] {
            var changed = base
            changed[keyPath: change] = "something-else"
            #expect(!changed.sameAgentSettings(as: base))
        }
    }
}
