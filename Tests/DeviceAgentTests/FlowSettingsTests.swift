import AzureStorage
import Foundation
import IoTHub
import Testing
import Verification

/// The agent follows the module's settings, on the real built-in hub and storage with the real
/// model: a desired-property patch on the module twin reaches the agent as a sealed message on its
/// requests queue, and the agent's next requests use the new model, queue and container.
@Suite(.serialized) struct FlowSettingsTests {
    @Test func modelPatchSwapsTheModelForTheNextRequest() async throws {
        try await FlowHarness.with { flow in
            var configuration = flow.agentConfiguration(camera: try flow.camera(["coffee.jpg"]))
            configuration.modelsDirectory = try flow.modelsFolder(alias: "barista-net", renamedEspresso: "ristretto")
            configuration.stateDirectory = flow.root.appendingPathComponent("agent-state")
            flow.startModule()
            try flow.startAgent(configuration)

            // The module announces its settings after connecting; the agent applies and reports them.
            try await flow.waitForModuleSettings()
            // The starting model has no class "ristretto": answered not found at once.
            let (before, _) = try await flow.invokeWhenOnline(className: "ristretto", threshold: 80)
            #expect(try await flow.result(for: before).0.outcome == .notFound)

            try await flow.patchModuleDesired(#"{"model":"barista-net"}"#)
            try await waitUntil(timeout: .seconds(60)) { try await flow.agentReported()["model"] == .string("barista-net") }
            #expect(try await flow.agentReported()["modelError"] == nil)

            // The new model's labels: the same photo is now found as "ristretto".
            let (after, response) = try await flow.invoke(className: "ristretto", threshold: 80)
            #expect(response.status == 200)
            let (result, _) = try await flow.result(for: after)
            #expect(result.outcome == .found)
            #expect(result.confidence >= 80)

            // A model that does not exist: the current one stays, and the error is reported.
            try await flow.patchModuleDesired(#"{"model":"no-such-model"}"#)
            try await waitUntil(timeout: .seconds(30)) {
                if case .string(let why)? = try await flow.agentReported()["modelError"] { return why.contains("no-such-model") }
                return false
            }
            #expect(try await flow.agentReported()["model"] == .string("barista-net"))
            let (still, _) = try await flow.invoke(className: "ristretto", threshold: 80)
            #expect(try await flow.result(for: still).0.outcome == .found)
        }
    }

    @Test func queueAndContainerPatchMovesRequestsAndResults() async throws {
        try await FlowHarness.with { flow in
            flow.startModule()
            try flow.startAgent(flow.agentConfiguration(camera: try flow.camera(["coffee.jpg"])))
            _ = try await flow.invokeWhenOnline(className: "espresso", threshold: 80)

            try await flow.patchModuleDesired(#"{"requestsQueue":"edge-requests-2","responsesContainer":"evidence-2"}"#)
            try await waitUntil(timeout: .seconds(30)) { try await flow.agentReported()["requestsQueue"] == .string("edge-requests-2") }
            #expect(try await flow.agentReported()["responsesContainer"] == .string("evidence-2"))

            let (request, response) = try await flow.invoke(className: "espresso", threshold: 80)
            #expect(response.status == 200)
            // The module's answer names the new container; the signed result names it too.
            let answer = try JSONSerialization.jsonObject(with: response.payload) as? [String: Any]
            #expect(answer?["ResponsesContainer"] as? String == "evidence-2")
            let (result, _) = try await flow.result(for: request, in: flow.container("evidence-2"))
            #expect(result.outcome == .found)
            #expect(result.container == "evidence-2")
            #expect(try await flow.container("evidence-2").blob(ResultLocation.imageBlob(for: request.requestId)).exists())
            #expect(try await !flow.container.blob(ResultLocation.resultBlob(for: request.requestId)).exists())
            // The old queue was drained: nothing is left on it, and the agent stopped reading it.
            try await waitUntil { try await flow.agentReported()["drainingQueues"] == .array([]) }
            #expect(try await flow.requestsQueue.approximateMessageCount() == 0)
        }
    }

    @Test func forgedAndReplayedSettingsAreRejectedAndSettingsSurviveARestart() async throws {
        try await FlowHarness.with { flow in
            var configuration = flow.agentConfiguration(camera: try flow.camera(["coffee.jpg"]))
            let state = flow.root.appendingPathComponent("agent-state")
            configuration.stateDirectory = state
            try flow.startAgent(configuration)
            let queue = flow.requestsQueue
            try await queue.create()

            // A request still invisible on the old queue when the settings arrive (sent with a delay,
            // as one leased by another agent would be).
            let (late, lateRequest) = try FlowSecurityTests.queuedText(flow)
            _ = try await queue.send(late, visibilityTimeout: .seconds(3))
            // Genuine settings of revision 5 are applied and saved (owner-only file).
            _ = try await queue.send(try flow.sealedSettings(revision: 5, queue: "edge-requests-5", container: "evidence-5"))
            try await waitUntil { try await flow.agentReported()["revision"] == .int(5) }
            let file = state.appendingPathComponent("agent-settings.json")
            let permissions = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
            #expect(permissions == 0o600)
            // It is answered once it shows up: the old queue is read until it holds nothing.
            let (lateResult, _) = try await flow.result(for: lateRequest, in: flow.container("evidence-5"))
            #expect(lateResult.outcome == .found)

            // Forged (another key) and replayed (older revision) settings, on the queue now in use.
            let newQueue = flow.queue("edge-requests-5")
            _ = try await newQueue.send(try flow.sealedSettings(revision: 9, queue: "forged-queue", secret: .generate()))
            _ = try await newQueue.send(try flow.sealedSettings(revision: 3, queue: "old-queue"))
            _ = try await newQueue.send(try flow.sealedSettings(revision: 4, container: "old-container"))
            try await waitUntil { try await newQueue.approximateMessageCount() == 0 }
            // The old queue was empty, so the agent no longer reads it.
            try await waitUntil { try await flow.agentReported()["drainingQueues"] == .array([]) }
            let dead = try await flow.deadLetterQueue.peek(maxMessages: 32)
            let reasons = dead.compactMap { message -> String? in
                (try? JSONSerialization.jsonObject(with: Data(message.text.utf8)) as? [String: Any])?["reason"] as? String
            }
            #expect(reasons == ["bad-signature"])
            let metrics = try await flow.metrics()
            #expect(metricValue(metrics, #"edgefactor_agent_requests_rejected_total{reason="stale-settings"}"#) == 2)
            let reported = try await flow.agentReported()
            #expect(reported["revision"] == .int(5))
            #expect(reported["requestsQueue"] == .string("edge-requests-5"))
            #expect(reported["responsesContainer"] == .string("evidence-5"))

            // A restart with the command line's defaults resumes the saved settings.
            await flow.stopAgent()
            try flow.startAgent(configuration)
            let (text, request) = try FlowSecurityTests.queuedText(flow)
            _ = try await newQueue.send(text)
            let (result, _) = try await flow.result(for: request, in: flow.container("evidence-5"))
            #expect(result.outcome == .found)
            #expect(result.container == "evidence-5")
        }
    }
}
