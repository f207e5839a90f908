import AzureStorage
import Foundation
import IoTHub
import Testing
import TestSupport
import Verification

/// What the module and the agent refuse, and what a refusal leaves behind.
@Suite(.serialized) struct FlowSecurityTests {
    /// Plays the module: seals a request as the front-end, wraps and seals it as the module would.
    static func queuedText(
        _ flow: FlowHarness, className: String = "espresso", threshold: Double = 80,
        issuedAt: Date = Date(), moduleSecret: SharedSecret? = nil
    ) throws -> (String, VerificationRequest) {
        let request = try VerificationRequest.make(
            deviceId: FlowHarness.deviceId, moduleId: FlowHarness.moduleId, className: className, threshold: threshold,
            lifetime: .seconds(30), now: issuedAt)
        let inner = try SignedEnvelope.seal(request, kind: .request, keyId: FlowHarness.deviceId, secret: flow.deviceSecret)
        let queued = QueuedRequest.make(wrapping: inner, expiresAt: request.expiresAt, now: issuedAt)
        let outer = try SignedEnvelope.seal(queued, kind: .queuedRequest, keyId: FlowHarness.moduleId, secret: moduleSecret ?? flow.moduleSecret)
        return (outer.jsonString(), request)
    }

    @Test func moduleRefusesBadPayloadsWithReasons() async throws {
        try await FlowHarness.with { flow in
            flow.startModule()
            _ = try await flow.invokeWhenOnline(className: "espresso", threshold: 80)

            func status(_ json: String, method: String = "ProcessRequest") async throws -> (Int, String) {
                let response = try await flow.invokeRaw(Data(json.utf8), method: method)
                return (response.status, String(decoding: response.payload, as: UTF8.self))
            }
            let id = "0123456789abcdef0123456789abcdef"
            // The original payload without EdgeFactor's sealed request.
            let (unsigned, why) = try await status(#"{"CoorelationId":"\#(id)","ClassName":"espresso","ThresholdPercentage":"70"}"#)
            #expect(unsigned == 400)
            #expect(why.contains("Request"))
            #expect(try await status(#"{"CorrelationId":"\#(id)","ClassName":"espresso\"|x","ThresholdPercentage":70}"#).0 == 400)
            #expect(try await status(#"{"CorrelationId":"\#(id)","ClassName":"espresso","ThresholdPercentage":0}"#).0 == 400)
            #expect(try await status(#"{"CorrelationId":"not-an-id","ClassName":"espresso","ThresholdPercentage":70}"#).0 == 400)
            #expect(try await status("[1,2]").0 == 400)
            #expect(try await status("{}", method: "Reboot").0 == 404)

            // Plain fields that disagree with the sealed request.
            let request = try VerificationRequest.make(deviceId: FlowHarness.deviceId, moduleId: FlowHarness.moduleId, className: "espresso", threshold: 80)
            let envelope = try SignedEnvelope.seal(request, kind: .request, keyId: FlowHarness.deviceId, secret: flow.deviceSecret)
            var payload = ProcessRequestPayload(request: request, envelope: envelope)
            payload.className = "tabby"
            #expect(try await flow.invokeRaw(payload.jsonData()).status == 400)
            // An expired request.
            let old = try VerificationRequest.make(deviceId: FlowHarness.deviceId, moduleId: nil, className: "espresso", threshold: 80, lifetime: .seconds(5), now: Date().addingTimeInterval(-60))
            let oldEnvelope = try SignedEnvelope.seal(old, kind: .request, keyId: FlowHarness.deviceId, secret: flow.deviceSecret)
            let (expired, expiredWhy) = try await status(String(decoding: try ProcessRequestPayload(request: old, envelope: oldEnvelope).jsonData(), as: UTF8.self))
            #expect(expired == 400)
            #expect(expiredWhy.contains("expired"))
            // Only the one good request reached the queue (beside the module's settings for the agent).
            #expect(try await flow.visibleRequests(on: flow.requestsQueue) == 1)
        }
    }

    @Test func moduleAnswers503WhenStorageIsDown() async throws {
        try await FlowHarness.with { flow in
            var configuration = flow.moduleConfiguration()
            configuration.storage = .account(try StorageConnectionString("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=\(Data(repeating: 7, count: 32).base64EncodedString());BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1"))
            configuration.enqueueTimeout = .seconds(2)
            flow.startModule(configuration)
            let (_, response) = try await flow.invokeWhenOnline(className: "espresso", threshold: 80)
            #expect(response.status == 503)
        }
    }

    @Test func agentRejectsTamperedExpiredForgedAndReplayedMessages() async throws {
        try await FlowHarness.with { flow in
            try flow.startAgent(flow.agentConfiguration(camera: try flow.camera(["coffee.jpg"])))
            let queue = flow.requestsQueue
            try await queue.create()

            // A genuine request, answered once.
            let (genuine, request) = try Self.queuedText(flow)
            _ = try await queue.send(genuine)
            let (first, _) = try await flow.result(for: request)
            #expect(first.outcome == .found)
            let firstBlob = try await flow.container.blob(ResultLocation.resultBlob(for: request.requestId)).download()

            // Tampered: the class changed inside the module's signed payload.
            let (text, tamperedRequest) = try Self.queuedText(flow, className: "espresso")
            _ = try await queue.send(text.replacingOccurrences(of: "espresso", with: "tabby"))
            // Forged: sealed with a module secret the agent does not hold.
            let (forged, forgedRequest) = try Self.queuedText(flow, moduleSecret: .generate())
            _ = try await queue.send(forged)
            // Expired: issued two minutes ago with a 30 s lifetime.
            let (expired, expiredRequest) = try Self.queuedText(flow, issuedAt: Date().addingTimeInterval(-120))
            _ = try await queue.send(expired)
            // The original pipe format, without the legacy option.
            _ = try await queue.send("\(UUID().uuidString)|espresso|70|00:11:22:33:44:55")
            // Replayed: the genuine message again.
            _ = try await queue.send(genuine)

            // Everything is consumed; the three that can never succeed are kept for an operator.
            try await waitUntil { try await queue.approximateMessageCount() == 0 }
            let dead = try await flow.deadLetterQueue.peek(maxMessages: 32)
            let reasons = dead.compactMap { message -> String? in
                (try? JSONSerialization.jsonObject(with: Data(message.text.utf8)) as? [String: Any])?["reason"] as? String
            }
            #expect(reasons.sorted() == ["bad-signature", "bad-signature", "legacy-disabled"])

            for refused in [tamperedRequest, forgedRequest, expiredRequest] {
                #expect(try await !flow.container.blob(ResultLocation.resultBlob(for: refused.requestId)).exists())
            }
            // The replay left the one result untouched and produced no second telemetry message.
            let again = try await flow.container.blob(ResultLocation.resultBlob(for: request.requestId)).download()
            #expect(again.data == firstBlob.data)
            #expect(again.properties.eTag == firstBlob.properties.eTag)
            #expect(try await flow.waitForTelemetry(request.requestId, count: 2, timeout: .seconds(1)).count == 1)

            let metrics = try await flow.metrics()
            #expect(metricValue(metrics, #"edgefactor_agent_requests_rejected_total{reason="bad-signature"}"#) == 2)
            #expect(metricValue(metrics, #"edgefactor_agent_requests_rejected_total{reason="expired"}"#) == 1)
            #expect(metricValue(metrics, #"edgefactor_agent_requests_rejected_total{reason="legacy-disabled"}"#) == 1)
            #expect(metricValue(metrics, #"edgefactor_agent_requests_rejected_total{reason="replayed"}"#) == 1)
            #expect(metricValue(metrics, "edgefactor_agent_requests_dead_lettered_total") == 3)
            #expect(metricValue(metrics, "edgefactor_agent_requests_succeeded_total") == 1)
        }
    }

    @Test func legacyMessagesWorkOnlyInLegacyMode() async throws {
        try await FlowHarness.with { flow in
            var configuration = flow.agentConfiguration(camera: try flow.camera(["coffee.jpg"]))
            configuration.acceptLegacyMessages = true
            try flow.startAgent(configuration)
            try await flow.requestsQueue.create()
            let id = UUID().uuidString
            _ = try await flow.requestsQueue.send("\(id)|espresso|70|00:11:22:33:44:55")
            let request = VerificationRequest(
                requestId: id, deviceId: FlowHarness.deviceId, moduleId: nil, className: "espresso", threshold: 70,
                issuedAt: Date(), expiresAt: Date().addingTimeInterval(60), nonce: "unused-unused-unused")
            let (result, _) = try await flow.result(for: request)
            #expect(result.outcome == .found)
            // The module key (a MAC address) never appears in what the agent writes.
            let telemetry = try await flow.waitForTelemetry(id)
            #expect(telemetry.count == 1)
            #expect(!(try String(decoding: telemetry[0].jsonData(), as: UTF8.self)).contains("00:11:22"))
        }
    }
}

/// Waits until `condition` holds (``eventually``); a condition that never holds fails the test
/// with an error, so nothing after it runs on a wrong premise.
func waitUntil(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
    guard try await eventually(timeout: timeout, condition) else { throw FlowTestError("condition not met within \(timeout)") }
}
