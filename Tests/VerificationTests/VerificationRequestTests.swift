import Foundation
import Testing
@testable import Verification

@Suite struct VerificationRequestTests {
    @Test func newRequestsHaveRandom128BitIdsAndNonces() throws {
        let a = try VerificationRequest.make(deviceId: "cam", moduleId: nil, className: "tabby, tabby cat", threshold: 70)
        let b = try VerificationRequest.make(deviceId: "cam", moduleId: nil, className: "tabby, tabby cat", threshold: 70)
        #expect(a.requestId.count == 32)
        #expect(a.requestId != b.requestId)
        #expect(a.nonce != b.nonce)
        #expect(abs(a.expiresAt.timeIntervalSince(a.issuedAt) - 60) < 0.001)
    }

    @Test(arguments: ["", "a|b", "x\"y", "../etc", "tab\tbed", String(repeating: "a", count: 101), " espresso", "<script>"])
    func injectionAndOverlongClassNamesAreRefused(_ name: String) {
        #expect(throws: VerificationError.self) {
            try VerificationRequest.make(deviceId: "cam", moduleId: nil, className: name, threshold: 70)
        }
    }

    @Test(arguments: ["jack-o'-lantern", "tabby, tabby cat", "T-shirt", "espresso", "potter's wheel"])
    func realLabelsAreAccepted(_ name: String) throws {
        _ = try VerificationRequest.make(deviceId: "cam", moduleId: nil, className: name, threshold: 70)
    }

    @Test(arguments: [0.0, 0.5, 100.5, -3, Double.nan, Double.infinity])
    func thresholdsOutsideOneToHundredAreRefused(_ threshold: Double) {
        #expect(throws: VerificationError.self) {
            try VerificationRequest.make(deviceId: "cam", moduleId: nil, className: "espresso", threshold: threshold)
        }
    }

    @Test func badIdentityIdsAreRefused() {
        #expect(throws: VerificationError.self) {
            try VerificationRequest.make(deviceId: "cam/../x", moduleId: nil, className: "espresso", threshold: 70)
        }
        #expect(throws: VerificationError.self) {
            try VerificationRequest.make(deviceId: "cam", moduleId: "m|x", className: "espresso", threshold: 70)
        }
    }

    @Test func freshnessIsChecked() throws {
        let now = Date()
        let request = try VerificationRequest.make(deviceId: "cam", moduleId: nil, className: "espresso", threshold: 70, lifetime: .seconds(60), now: now)
        try request.validate(now: now.addingTimeInterval(59))
        #expect(throws: VerificationError.expired(at: request.expiresAt)) { try request.validate(now: now.addingTimeInterval(60)) }
        #expect(throws: VerificationError.notYetValid(at: request.issuedAt)) { try request.validate(now: now.addingTimeInterval(-31)) }
        #expect(throws: VerificationError.self) {
            try VerificationRequest.make(deviceId: "cam", moduleId: nil, className: "espresso", threshold: 70, lifetime: .seconds(3600))
        }
    }

    @Test func resultMustAnswerItsRequest() throws {
        let request = try VerificationRequest.make(deviceId: "cam", moduleId: nil, className: "Espresso", threshold: 70)
        let digest = String(repeating: "ab", count: 32)
        let good = VerificationResult(
            requestId: request.requestId, deviceId: "cam", className: "espresso", outcome: .found,
            confidence: 93.5, imageSHA256: digest, blobName: ResultLocation.imageBlob(for: request.requestId), capturedAt: Date())
        try good.validate(answering: request)

        var other = good; other.requestId = String(repeating: "0", count: 32)
        var device = good; device.deviceId = "other-cam"
        var cls = good; cls.className = "tabby"
        var low = good; low.confidence = 69.9
        var noImage = good; noImage.imageSHA256 = nil
        var late = good; late.capturedAt = request.expiresAt.addingTimeInterval(60)
        for bad in [other, device, cls, low, noImage, late] {
            #expect(throws: VerificationError.self) { try bad.validate(answering: request) }
        }
        var notFound = good; notFound.outcome = .notFound; notFound.confidence = 12; notFound.imageSHA256 = nil
        try notFound.validate(answering: request)
    }
}
