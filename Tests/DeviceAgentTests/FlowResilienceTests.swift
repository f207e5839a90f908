import AzureStorage
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import IoTHub
import Testing
import Verification

/// Crashes, restarts and load: no request lost, none answered twice.
@Suite(.serialized) struct FlowResilienceTests {
    @Test func agentKilledMidRequestAnswersOnceAfterRestart() async throws {
        try await FlowHarness.with { flow in
            flow.startModule()
            // The first agent's camera never shows the object: the request stays pending.
            let agent = try flow.startAgent(flow.agentConfiguration(camera: try flow.camera(["motorcycle_left.jpg"])))
            let (request, response) = try await flow.invokeWhenOnline(className: "espresso", threshold: 80, lifetime: .seconds(40))
            #expect(response.status == 200)
            try await waitUntil { agent.metricsText().contains("edgefactor_agent_requests_pending 1") }
            // The module's settings message (sent after it connected) is applied and gone.
            try await flow.waitForModuleSettings()
            await flow.killAgent()
            // Nothing was answered; the message is invisible, not lost.
            #expect(try await !flow.container.blob(ResultLocation.resultBlob(for: request.requestId)).exists())
            #expect(try await flow.requestsQueue.approximateMessageCount() == 1)

            // The restarted agent (now facing the object) gets the message when its lease lapses.
            try flow.startAgent(flow.agentConfiguration(camera: try flow.camera(["coffee.jpg"])))
            let (result, _) = try await flow.result(for: request)
            #expect(result.outcome == .found)
            try await waitUntil { try await flow.requestsQueue.approximateMessageCount() == 0 }
            try await Task.sleep(for: .seconds(1))
            #expect(try await flow.telemetry(for: request.requestId).count == 1)
            #expect(try await flow.deadLetterQueue.peek(maxMessages: 32).isEmpty)
        }
    }

    @Test("a killed agent's held requests are taken over by the next start at once, not after their lease")
    func killedAgentsLeasesAreReleasedOnStart() async throws {
        try await FlowHarness.with { flow in
            flow.startModule()
            let state = flow.root.appendingPathComponent("agent-state", isDirectory: true)
            // A lease far longer than the request: without the takeover the message would stay
            // invisible until the request had expired, and the sign-in would fail.
            var first = flow.agentConfiguration(camera: try flow.camera(["motorcycle_left.jpg"]))
            first.visibilityTimeout = .seconds(300)
            first.stateDirectory = state
            let agent = try flow.startAgent(first)
            let (request, response) = try await flow.invokeWhenOnline(className: "espresso", threshold: 80, lifetime: .seconds(60))
            #expect(response.status == 200)
            try await waitUntil { agent.metricsText().contains("edgefactor_agent_requests_pending 1") }
            try await waitUntil { FileManager.default.fileExists(atPath: state.appendingPathComponent("leases.json").path) }
            // The module's settings message (sent after it connected) is applied and gone.
            try await flow.waitForModuleSettings()
            await flow.killAgent()
            #expect(try await flow.requestsQueue.peek().isEmpty)

            var second = flow.agentConfiguration(camera: try flow.camera(["coffee.jpg"]))
            second.visibilityTimeout = .seconds(300)
            second.stateDirectory = state
            try flow.startAgent(second)
            let (result, _) = try await flow.result(for: request, timeout: .seconds(50))
            #expect(result.outcome == .found)
            #expect(try await flow.deadLetterQueue.peek(maxMessages: 32).isEmpty)
        }
    }

    @Test func gracefulShutdownReleasesWatchingRequestsAtOnce() async throws {
        try await FlowHarness.with { flow in
            var configuration = flow.agentConfiguration(camera: try flow.camera(["motorcycle_left.jpg"]))
            configuration.visibilityTimeout = .seconds(60)
            let agent = try flow.startAgent(configuration)
            let (text, request) = try FlowSecurityTests.queuedText(flow)
            try await flow.requestsQueue.create()
            _ = try await flow.requestsQueue.send(text)
            try await waitUntil { agent.metricsText().contains("edgefactor_agent_requests_pending 1") }
            #expect(try await flow.requestsQueue.peek().isEmpty)
            await flow.stopAgent()
            // Visible again right away (not after the 60 s lease), and not answered.
            let visible = try await flow.requestsQueue.peek()
            #expect(visible.count == 1)
            #expect(try await !flow.container.blob(ResultLocation.resultBlob(for: request.requestId)).exists())
            try flow.startAgent(flow.agentConfiguration(camera: try flow.camera(["coffee.jpg"])))
            #expect(try await flow.result(for: request, timeout: .seconds(10)).0.outcome == .found)
        }
    }

    @Test func hubRestartedMidFlowBothReconnect() async throws {
        try await FlowHarness.with { flow in
            flow.startModule()
            try flow.startAgent(flow.agentConfiguration(camera: try flow.camera(["coffee.jpg"])))
            let (before, _) = try await flow.invokeWhenOnline(className: "espresso", threshold: 80)
            #expect(try await flow.result(for: before).0.outcome == .found)
            #expect(try await flow.waitForTelemetry(before.requestId).count == 1)

            // While the hub is away the agent says so (readiness and its gauge), and says so again once it is back.
            let agent = try #require(flow.agent)
            await flow.stopHub()
            try await waitUntil { agent.metricsText().contains("edgefactor_agent_hub_connected 0") }
            let port = try #require(agent.healthPort)
            let readyURL = try #require(URL(string: "http://127.0.0.1:\(port)/readyz"))
            let ready = try await URLSession.shared.data(from: readyURL)
            #expect(String(decoding: ready.0, as: UTF8.self).contains("\"hub\":false"))
            try await flow.restartHub()
            try await waitUntil { agent.metricsText().contains("edgefactor_agent_hub_connected 1") }

            let (after, response) = try await flow.invokeWhenOnline(className: "espresso", threshold: 80)
            #expect(response.status == 200)
            #expect(try await flow.result(for: after).0.outcome == .found)
            #expect(try await flow.waitForTelemetry(after.requestId, timeout: .seconds(40)).count == 1)
        }
    }

    @Test func twentyConcurrentRequestsForDifferentClasses() async throws {
        try await FlowHarness.with { flow in
            flow.startModule()
            try flow.startAgent(flow.agentConfiguration(
                camera: try flow.camera(["coffee.jpg", "chelsea.jpg", "motorcycle_left.jpg", "astronaut.jpg"])))
            _ = try await flow.invokeWhenOnline(className: "espresso", threshold: 80)

            // Scores of the sample photos under the default model: each present class is asked for
            // below its score; the absent ones are nowhere near 50 %.
            let present: [(String, Double)] = [
                ("espresso", 80), ("cup", 1), ("consomme", 1), ("tiger cat", 30), ("Egyptian cat", 30),
                ("tabby", 15), ("lynx", 1), ("moped", 40), ("motor scooter", 10), ("disk brake", 4),
                ("crash helmet", 3), ("football helmet", 12), ("bobsled", 10), ("go-kart", 5), ("barbell", 3),
            ]
            let absent = ["zebra", "goldfish", "banana", "pizza", "volcano"]
            let asks = present.map { ($0.0, $0.1, true) } + absent.map { ($0, 50.0, false) }
            let outcomes = try await withThrowingTaskGroup(of: (String, Bool, VerificationResult).self) { group in
                for (className, threshold, expected) in asks {
                    group.addTask {
                        let (request, response) = try await flow.invoke(className: className, threshold: threshold, lifetime: .seconds(expected ? 30 : 6))
                        guard response.status == 200 else { throw FlowTestError("\(className): status \(response.status)") }
                        let (result, _) = try await flow.result(for: request, timeout: .seconds(60))
                        return (className, expected, result)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.count == 20)
            for (className, expected, result) in outcomes {
                #expect(result.outcome == (expected ? .found : .notFound), "\(className): \(result.outcome) at \(result.confidence) %")
            }
        }
    }
}
