import Foundation
import TestSupport
import Testing
@testable import Verification

/// The module's settings for the agent: field rules, sealing, revision order, and a fuzzed parser.
@Suite struct AgentSettingsTests {
    let secret = SharedSecret.generate()

    func settings(revision: Int = 4) throws -> AgentSettings {
        try AgentSettings.make(requestsQueue: "edge-requests-2", responsesContainer: "evidence-2", model: "efficientnet-lite1", revision: revision)
    }

    @Test func sealThenOpenRoundTrips() throws {
        let original = try settings()
        let envelope = try SignedEnvelope.seal(original, kind: .agentSettings, keyId: "edgefactor-module", secret: secret)
        #expect(envelope.kind == "agent-settings")
        let opened = try SignedEnvelope.decode(envelope.jsonData()).open(AgentSettings.self, kind: .agentSettings, secret: secret)
        #expect(opened.requestsQueue == "edge-requests-2")
        #expect(opened.responsesContainer == "evidence-2")
        #expect(opened.model == "efficientnet-lite1")
        #expect(opened.revision == 4)
        try opened.validate()
    }

    @Test func anotherKeyOrKindIsRefused() throws {
        let envelope = try SignedEnvelope.seal(try settings(), kind: .agentSettings, keyId: "edgefactor-module", secret: secret)
        #expect(throws: VerificationError.badSignature) { try envelope.open(AgentSettings.self, kind: .agentSettings, secret: .generate()) }
        // A queued request's signature cannot be passed off as settings, nor the reverse.
        var relabelled = envelope
        relabelled.kind = EnvelopeKind.queuedRequest.rawValue
        #expect(throws: VerificationError.wrongKind(expected: "agent-settings", actual: "queued-request")) {
            try relabelled.open(AgentSettings.self, kind: .agentSettings, secret: secret)
        }
        relabelled.kind = EnvelopeKind.agentSettings.rawValue
        relabelled.payload = relabelled.payload.replacingOccurrences(of: "\"revision\":4", with: "\"revision\":9")
        #expect(throws: VerificationError.badSignature) { try relabelled.open(AgentSettings.self, kind: .agentSettings, secret: secret) }
    }

    @Test func namesFollowAzureAndModelRules() throws {
        for good in ["abc", "iot-edge-object-classification-requests", "a1-b2", String(repeating: "a", count: 63)] {
            #expect(AgentSettings.isValidStorageName(good), "\(good)")
        }
        for bad in ["ab", "-abc", "abc-", "a--b", "Abc", "a_b", "a.b", "ab c", String(repeating: "a", count: 64), "é-abc", ""] {
            #expect(!AgentSettings.isValidStorageName(bad), "\(bad)")
            #expect(throws: VerificationError.self) {
                try AgentSettings.make(requestsQueue: bad, responsesContainer: "evidence", model: "m", revision: 1)
            }
            #expect(throws: VerificationError.self) {
                try AgentSettings.make(requestsQueue: "requests", responsesContainer: bad, model: "m", revision: 1)
            }
        }
        for good in ["efficientnet-lite0", "m", "resnet_50.v2"] { #expect(AgentSettings.isValidModelName(good), "\(good)") }
        for bad in ["", ".hidden", "..", "../etc/passwd", "a/b", "a b", "modèle", String(repeating: "m", count: 101)] {
            #expect(!AgentSettings.isValidModelName(bad), "\(bad)")
        }
    }

    @Test func freshnessIsNotRequiredButTheFutureIs() throws {
        let now = Date()
        // Sat on the queue for a week: still valid.
        var old = try settings()
        old.issuedAt = now.addingTimeInterval(-7 * 86_400)
        try old.validate(now: now)
        var future = old
        future.issuedAt = now.addingTimeInterval(3600)
        #expect(throws: VerificationError.notYetValid(at: future.issuedAt)) { try future.validate(now: now) }
        var negative = old
        negative.revision = -1
        #expect(throws: VerificationError.self) { try negative.validate(now: now) }
        var badNonce = old
        badNonce.nonce = "short"
        #expect(throws: VerificationError.self) { try badNonce.validate(now: now) }
    }

    @Test func onlyNewerRevisionsSupersede() throws {
        let applied = try settings(revision: 5)
        #expect(try settings(revision: 6).supersedes(applied))
        #expect(try !settings(revision: 5).supersedes(applied))
        #expect(try !settings(revision: 2).supersedes(applied))
        #expect(try settings(revision: 0).supersedes(nil))
    }

    @Test func resultsMayNameAValidContainer() throws {
        let request = try VerificationRequest.make(deviceId: "camera-01", moduleId: nil, className: "espresso", threshold: 70)
        var result = VerificationResult(
            requestId: request.requestId, deviceId: "camera-01", className: "espresso", outcome: .notFound,
            confidence: 3, imageSHA256: nil, blobName: nil, capturedAt: Date(), container: "evidence-2")
        try result.validate(answering: request)
        result.container = "../other"
        #expect(throws: VerificationError.self) { try result.validate(answering: request) }
        // Without the field, the encoding is the one older agents signed.
        result.container = nil
        #expect(!String(decoding: try CanonicalJSON.encode(result), as: UTF8.self).contains("container"))
    }

    /// Mutated envelopes never crash: each is refused with a typed error, or still opens to the
    /// sealed settings when the mutation left the signed text intact.
    @Test func fuzzedSettingsNeverCrash() throws {
        let original = try settings()
        let valid = try SignedEnvelope.seal(original, kind: .agentSettings, keyId: "edgefactor-module", secret: secret).jsonData()
        var rng = SplitMix64(seed: 0x5E77)
        for _ in 0..<20_000 {
            let bytes = ByteMutator.mutate([UInt8](valid), using: &rng)
            guard let envelope = try? SignedEnvelope.decode(bytes) else { continue }
            if let opened = try? envelope.open(AgentSettings.self, kind: .agentSettings, secret: secret) {
                // Same canonical text as sealed (dates travel with millisecond precision).
                #expect(try CanonicalJSON.encode(opened) == CanonicalJSON.encode(original))
                try opened.validate()
            }
        }
    }
}
