import AzureStorage
import Crypto
import Foundation
import IoTHub
import Testing
import TestSupport
import Verification

@testable import DeviceAgent

/// End to end on the real built-in hub and storage, the real model and an image-folder camera (the
/// one mock-free substitute for a V4L2 camera here): ProcessRequest → module → queue → agent →
/// blob + telemetry, verified as the front-end verifies it.
@Suite(.serialized) struct FlowTests {
    @Test func classPresentGivesSignedImageResultAndTelemetry() async throws {
        try await FlowHarness.with { flow in
            flow.startModule()
            try flow.startAgent(flow.agentConfiguration(camera: try flow.camera(["coffee.jpg"])))

            let (request, response) = try await flow.invokeWhenOnline(className: "espresso", threshold: 80)
            #expect(response.status == 200)
            #expect(String(decoding: response.payload, as: UTF8.self).contains("Executed direct method ProcessRequest"))

            let (result, envelope) = try await flow.result(for: request)
            #expect(result.outcome == .found)
            #expect(result.confidence >= 80)
            #expect(result.deviceId == FlowHarness.deviceId)
            #expect(result.blobName == ResultLocation.imageBlob(for: request.requestId))

            // The image is the one the signature covers, a JPEG, with the signature in its metadata.
            let (jpeg, properties) = try await flow.container.blob(ResultLocation.imageBlob(for: request.requestId)).download()
            #expect(Array(jpeg.prefix(2)) == [0xFF, 0xD8])
            #expect(SHA256.hash(data: jpeg).map { String(format: "%02x", $0) }.joined() == result.imageSHA256)
            #expect(properties.metadata["signature"] == envelope.sig)

            let telemetry = try await flow.waitForTelemetry(request.requestId)
            #expect(telemetry.count == 1)
            let sent = try #require(telemetry.first)
            let telemetryResult = try sent.result.open(VerificationResult.self, kind: .result, secret: flow.deviceSecret)
            #expect(telemetryResult == result)
            #expect(sent.timings["total"] != nil)
            #expect(sent.timings["inference"] != nil)

            // The message is gone from the queue; nothing was dead-lettered.
            #expect(try await flow.requestsQueue.peek(maxMessages: 32).isEmpty)
            #expect(try await flow.deadLetterQueue.peek(maxMessages: 32).isEmpty)
            let metrics = try await flow.metrics()
            #expect(metricValue(metrics, "edgefactor_agent_requests_succeeded_total") == 1)
            #expect((metricValue(metrics, "edgefactor_agent_frames_total") ?? 0) >= 1)
        }
    }

    @Test("while a request is watched, its best score so far is published, sealed by the device")
    func bestScoreSoFarIsPublished() async throws {
        try await FlowHarness.with { flow in
            flow.startModule()
            try flow.startAgent(flow.agentConfiguration(camera: try flow.camera(["coffee.jpg"])))
            // Shown, but never enough for a threshold of 99.9 %.
            let (request, response) = try await flow.invokeWhenOnline(className: "espresso", threshold: 99.9, lifetime: .seconds(4))
            #expect(response.status == 200)
            let blob = flow.container.blob(ResultLocation.verificationProgressBlob(for: request.requestId))
            var progress: VerificationProgress?
            for _ in 0..<200 where progress == nil {
                if let (data, _) = try? await blob.download() {
                    progress = try SignedEnvelope.decode(data).open(VerificationProgress.self, kind: .verificationProgress, secret: flow.deviceSecret)
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            let best = try #require(progress)
            try best.validate(answering: request)
            #expect(best.bestConfidence > 50 && best.bestConfidence < 99.9)
            let (result, _) = try await flow.result(for: request)
            #expect(result.outcome == .notFound)
            #expect(abs(result.confidence - best.bestConfidence) < 5)
        }
    }

    @Test("the live preview runs the camera for a viewer with no request, and draws what the model sees")
    func livePreview() async throws {
        try await FlowHarness.with { flow in
            var configuration = flow.agentConfiguration(camera: try flow.camera(["coffee.jpg"]))
            configuration.previewEndpoint = ("127.0.0.1", 0)
            let agent = try flow.startAgent(configuration)
            let port = try #require(await eventuallyValue { await agent.previewPort() })
            // Nobody asks for anything: the camera is idle until a viewer connects.
            try await Task.sleep(for: .milliseconds(500))
            #expect(metricValue(agent.metricsText(), "edgefactor_agent_frames_total") ?? 0 == 0)
            let viewer = try await RawConnection.open(port: port)
            try await viewer.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            var frame: RawHTTP.Response?
            for _ in 0..<100 where frame?.status != 200 {
                frame = try await RawHTTP.exchange(port: port, "GET /frame.jpg HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if frame?.status != 200 { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(frame?.status == 200)
            #expect(frame?.text.contains("image/jpeg") == true)
            #expect((metricValue(agent.metricsText(), "edgefactor_agent_frames_total") ?? 0) >= 1)
        }
    }

    @Test func classAbsentIsNotFoundAtExpiry() async throws {
        try await FlowHarness.with { flow in
            flow.startModule()
            try flow.startAgent(flow.agentConfiguration(camera: try flow.camera(["motorcycle_left.jpg"])))

            let started = Date()
            let (request, response) = try await flow.invokeWhenOnline(className: "espresso", threshold: 50, lifetime: .seconds(3))
            #expect(response.status == 200)
            let (result, _) = try await flow.result(for: request)
            #expect(result.outcome == .notFound)
            #expect(result.imageSHA256 == nil)
            #expect(result.confidence < 50)
            #expect(Date().timeIntervalSince(started) >= 2.5)
            #expect(try await !flow.container.blob(ResultLocation.imageBlob(for: request.requestId)).exists())
            #expect(try await flow.waitForTelemetry(request.requestId).count == 1)
            let metrics = try await flow.metrics()
            #expect(metricValue(metrics, "edgefactor_agent_requests_expired_total") == 1)
            // The camera stops being read once nothing is pending (a frame already in inference when
            // the request expired may still be counted, so measure after it has settled).
            try await Task.sleep(for: .milliseconds(500))
            let frames = metricValue(try await flow.metrics(), "edgefactor_agent_frames_total") ?? 0
            try await Task.sleep(for: .milliseconds(500))
            #expect(metricValue(try await flow.metrics(), "edgefactor_agent_frames_total") == frames)
        }
    }
}
