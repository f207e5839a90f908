import Foundation
import Testing
@testable import Verification

@Suite struct MessageFormatTests {
    @Test func processRequestAcceptsTheOriginalPayload() throws {
        let id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
        let original = #"{"CoorelationId":"\#(id)","ClassName":"espresso","ThresholdPercentage":"70"}"#
        let payload = try ProcessRequestPayload.decode(Data(original.utf8))
        #expect(payload.correlationId == id)
        #expect(payload.thresholdPercentage == 70)
        #expect(payload.request == nil)

        let fixed = #"{"CorrelationId":"\#(id)","ClassName":"espresso","ThresholdPercentage":85.5}"#
        #expect(try ProcessRequestPayload.decode(Data(fixed.utf8)).thresholdPercentage == 85.5)
    }

    @Test func processRequestRoundTripsWithItsSealedRequest() throws {
        let secret = SharedSecret.generate()
        let request = try VerificationRequest.make(deviceId: "cam", moduleId: "edgefactor", className: "espresso", threshold: 70)
        let envelope = try SignedEnvelope.seal(request, kind: .request, keyId: "cam", secret: secret)
        let payload = ProcessRequestPayload(request: request, envelope: envelope)
        let decoded = try ProcessRequestPayload.decode(try payload.jsonData())
        #expect(decoded == payload)
        let opened = try #require(try decoded.request?.open(VerificationRequest.self, kind: .request, secret: secret))
        #expect(try CanonicalJSON.encode(opened) == CanonicalJSON.encode(request))
    }

    @Test(arguments: [
        #"{"ClassName":"espresso","ThresholdPercentage":"70"}"#,
        #"{"CorrelationId":"nope","ClassName":"espresso","ThresholdPercentage":"70"}"#,
        #"{"CorrelationId":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","ClassName":"a\"b","ThresholdPercentage":"70"}"#,
        #"{"CorrelationId":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","ClassName":"espresso","ThresholdPercentage":"seventy"}"#,
        #"{"CorrelationId":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","ClassName":"espresso","ThresholdPercentage":170}"#,
        #"[1,2,3]"#,
    ])
    func invalidProcessRequestsSayWhy(_ body: String) {
        #expect(throws: VerificationError.self) { try ProcessRequestPayload.decode(Data(body.utf8)) }
    }

    @Test func legacyMessagesParseStrictly() throws {
        let message = try LegacyQueueMessage(parsing: "3f2504e04f8911d39a0c0305e82c3301|espresso|70|00:11:22:33:44:55")
        #expect(message.className == "espresso")
        #expect(message.threshold == 70)
        for bad in ["a|b|c", "3f2504e04f8911d39a0c0305e82c3301|espresso|x|k", "3f2504e04f8911d39a0c0305e82c3301|esp|resso|70|k", "id|espresso|70|k"] {
            #expect(throws: VerificationError.self) { try LegacyQueueMessage(parsing: bad) }
        }
    }

    @Test func queuedRequestsExpireWithTheirRequest() throws {
        let secret = SharedSecret.generate()
        let request = try VerificationRequest.make(deviceId: "cam", moduleId: nil, className: "espresso", threshold: 70)
        let inner = try SignedEnvelope.seal(request, kind: .request, keyId: "cam", secret: secret)
        let queued = QueuedRequest.make(wrapping: inner, expiresAt: request.expiresAt)
        try queued.validate()
        #expect(throws: VerificationError.self) { try queued.validate(now: request.expiresAt) }
        let sealed = try SignedEnvelope.seal(queued, kind: .queuedRequest, keyId: "edgefactor", secret: secret)
        #expect(try CanonicalJSON.encode(sealed.open(QueuedRequest.self, kind: .queuedRequest, secret: secret)) == CanonicalJSON.encode(queued))
    }

    @Test func telemetryCarriesTheSealedResult() throws {
        let secret = SharedSecret.generate()
        let result = VerificationResult(
            requestId: String(repeating: "a", count: 32), deviceId: "cam", className: "espresso", outcome: .notFound,
            confidence: 0, imageSHA256: nil, blobName: nil, capturedAt: Date())
        let telemetry = ResultTelemetry(result: try SignedEnvelope.seal(result, kind: .result, keyId: "cam", secret: secret), timings: ["inference": 7.5])
        let decoded = try ResultTelemetry.decode(try telemetry.jsonData())
        #expect(try CanonicalJSON.encode(decoded.result.open(VerificationResult.self, kind: .result, secret: secret)) == CanonicalJSON.encode(result))
        #expect(decoded.timings["inference"] == 7.5)
    }

    @Test func resultLocationsAreTheOriginalBlobNames() {
        #expect(ResultLocation.imageBlob(for: "abc") == "abc/imageWithDetection.jpg")
        #expect(ResultLocation.resultBlob(for: "abc") == "abc/result.json")
    }
}
