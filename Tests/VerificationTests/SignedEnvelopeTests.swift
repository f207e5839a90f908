import Foundation
import TestSupport
import Testing
@testable import Verification

@Suite struct SignedEnvelopeTests {
    let secret = SharedSecret.generate()
    let request = try! VerificationRequest.make(deviceId: "camera-01", moduleId: "edgefactor", className: "espresso", threshold: 70)

    @Test func sealThenOpenRoundTrips() throws {
        let envelope = try SignedEnvelope.seal(request, kind: .request, keyId: "camera-01", secret: secret)
        let decoded = try SignedEnvelope.decode(envelope.jsonData())
        #expect(decoded == envelope)
        let opened = try decoded.open(VerificationRequest.self, kind: .request, secret: secret)
        #expect(opened.requestId == request.requestId)
        #expect(opened.className == "espresso")
        #expect(abs(opened.expiresAt.timeIntervalSince(request.expiresAt)) < 0.001)
    }

    @Test func anotherSecretIsRefused() throws {
        let envelope = try SignedEnvelope.seal(request, kind: .request, keyId: "camera-01", secret: secret)
        #expect(throws: VerificationError.badSignature) {
            try envelope.open(VerificationRequest.self, kind: .request, secret: .generate())
        }
    }

    @Test func everyAlteredFieldIsRefused() throws {
        let envelope = try SignedEnvelope.seal(request, kind: .request, keyId: "camera-01", secret: secret)
        var payload = envelope
        payload.payload = payload.payload.replacingOccurrences(of: "espresso", with: "espressp")
        var kid = envelope
        kid.kid = "camera-02"
        var sig = envelope
        sig.sig = String(sig.sig.reversed())
        var truncated = envelope
        truncated.sig = String(truncated.sig.dropLast(4))
        for altered in [payload, kid, sig, truncated] {
            #expect(throws: VerificationError.badSignature) {
                try altered.open(VerificationRequest.self, kind: .request, secret: secret)
            }
        }
    }

    @Test func aSignatureForOneKindCannotServeAnother() throws {
        let envelope = try SignedEnvelope.seal(request, kind: .request, keyId: "camera-01", secret: secret)
        #expect(throws: VerificationError.wrongKind(expected: "result", actual: "request")) {
            try envelope.open(VerificationResult.self, kind: .result, secret: secret)
        }
        var relabelled = envelope
        relabelled.kind = EnvelopeKind.result.rawValue
        #expect(throws: VerificationError.badSignature) {
            try relabelled.open(VerificationRequest.self, kind: .result, secret: secret)
        }
    }

    @Test func unknownVersionIsRefused() throws {
        var envelope = try SignedEnvelope.seal(request, kind: .request, keyId: "camera-01", secret: secret)
        envelope.v = 2
        #expect(throws: VerificationError.unsupportedVersion(2)) {
            try envelope.open(VerificationRequest.self, kind: .request, secret: secret)
        }
    }

    @Test func oversizedAndMalformedInputIsRefused() {
        #expect(throws: VerificationError.self) { try SignedEnvelope.decode(Data(repeating: 0x20, count: 70_000)) }
        #expect(throws: VerificationError.self) { try SignedEnvelope.decode(Data("{\"v\":1}".utf8)) }
        #expect(throws: VerificationError.self) { try SignedEnvelope.decode(Data("not json".utf8)) }
    }

    @Test func secretsAreAtLeast128Bits() throws {
        #expect(throws: VerificationError.weakSecret) { try SharedSecret(base64: Data(count: 15).base64EncodedString()) }
        #expect(throws: VerificationError.weakSecret) { try SharedSecret(base64: "!!not base64!!") }
        let secret = SharedSecret.generate()
        let again = try SharedSecret(base64: secret.base64 + "\n")
        #expect(again.base64 == secret.base64)
        #expect(secret.fingerprint.count == 8)
    }

    /// Random and mutated inputs never crash the parser: each is either an envelope or a typed error.
    @Test func fuzzedEnvelopesNeverCrash() throws {
        let valid = try SignedEnvelope.seal(request, kind: .request, keyId: "camera-01", secret: secret).jsonData()
        var rng = SplitMix64(seed: 0xED6E)
        for _ in 0..<20_000 {
            let bytes = ByteMutator.mutate([UInt8](valid), using: &rng)
            if let envelope = try? SignedEnvelope.decode(bytes) {
                // A mutation that still parses must not verify unless it left the signed text intact.
                if let opened = try? envelope.open(VerificationRequest.self, kind: .request, secret: secret) {
                    #expect(opened.requestId == request.requestId)
                }
            }
        }
    }
}

