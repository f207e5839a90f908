import Foundation
import Testing
import Verification

@Suite("Device storage names")
struct DeviceStorageNamesTests {
    @Test("a device id that is already a valid name is used as it is")
    func readable() {
        let names = DeviceStorageNames(deviceId: "camera-01")
        #expect(names.requestsQueue == "requests-camera-01")
        #expect(names.deadLetterQueue == "requests-camera-01-poison")
        #expect(names.responsesContainer == "results-camera-01")
    }

    @Test("ids that reduce alike get names of their own, and every name is valid", arguments: [
        "Camera-01", "camera.01", "camera_01", "CAMERA:01", "--", "", "a", String(repeating: "x", count: 128), "kamera-ü", "a--b",
    ])
    func reduced(_ id: String) {
        let names = DeviceStorageNames(deviceId: id)
        for name in [names.requestsQueue, names.deadLetterQueue, names.responsesContainer] {
            #expect(AgentSettings.isValidStorageName(name), "\(name) from \(id)")
        }
        #expect(names != DeviceStorageNames(deviceId: "camera-01"))
    }

    @Test("random device ids always give valid, distinct names")
    func fuzz() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcXYZ019-_.:@#ü ")
        var seen: [String: String] = [:]
        for _ in 0..<2000 {
            let id = String((0..<Int.random(in: 0...80, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            let names = DeviceStorageNames(deviceId: id)
            #expect(AgentSettings.isValidStorageName(names.requestsQueue))
            #expect(AgentSettings.isValidStorageName(names.deadLetterQueue))
            #expect(AgentSettings.isValidStorageName(names.responsesContainer))
            if let other = seen[names.requestsQueue] { #expect(other == id) }
            seen[names.requestsQueue] = id
        }
    }
}

@Suite("Storage access renewal")
struct StorageAccessRenewalTests {
    @Test("the grant inside is readable only with the device's secret, and only in this renewal")
    func encryption() throws {
        let secret = SharedSecret.generate()
        let grant = Data(#"{"queues":{"requests-a":"sv=1&sig=x"}}"#.utf8)
        let renewal = try StorageAccessRenewal.make(grantJSON: grant, deviceId: "a", moduleId: "m", secret: secret)
        #expect(try renewal.grantJSON(secret: secret) == grant)
        #expect(throws: VerificationError.self) { try renewal.grantJSON(secret: .generate()) }
        var moved = renewal
        moved.requestId = RandomHex.make()
        #expect(throws: VerificationError.self) { try moved.grantJSON(secret: secret) }
        #expect(!renewal.grant.contains("sig=x"))

        // Sealed as the front-end seals it, opened as the agent opens it.
        let envelope = try SignedEnvelope.seal(renewal, kind: .storageAccess, keyId: "a", secret: secret)
        let opened = try envelope.open(StorageAccessRenewal.self, kind: .storageAccess, secret: secret)
        #expect(opened.requestId == renewal.requestId && opened.grant == renewal.grant && opened.nonce == renewal.nonce)
        #expect(throws: VerificationError.self) { try envelope.open(StorageAccessRenewal.self, kind: .templateRemoval, secret: secret) }
    }

    @Test("renewals expire, and bad fields are refused")
    func validation() throws {
        let secret = SharedSecret.generate()
        let renewal = try StorageAccessRenewal.make(grantJSON: Data("{}".utf8), deviceId: "a", moduleId: nil, secret: secret)
        #expect(throws: VerificationError.self) { try renewal.validate(now: renewal.expiresAt.addingTimeInterval(1)) }
        var bad = renewal
        bad.grant = ""
        #expect(throws: VerificationError.self) { try bad.validate() }
        bad = renewal
        bad.deviceId = "a/../b"
        #expect(throws: VerificationError.self) { try bad.validate() }
        bad = renewal
        bad.expiresAt = bad.issuedAt.addingTimeInterval(VerificationRequest.maximumLifetime * 10)
        #expect(throws: VerificationError.self) { try bad.validate() }
    }
}

private enum RandomHex {
    static func make() -> String { (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined() }
}

@Suite("edgefactor check lines")
struct SystemCheckTests {
    @Test("a clock more than half the allowed skew off fails, with a fix; one within it passes")
    func clock() {
        #expect(SystemCheck.clock(offset: 2).passed)
        #expect(SystemCheck.clock(offset: -VerificationRequest.allowedClockSkew / 2).passed)
        let ahead = SystemCheck.clock(offset: 100)
        #expect(!ahead.passed && ahead.detail.contains("100 s") && ahead.fix != nil)
        #expect(!SystemCheck.clock(offset: nil).passed)
    }

    @Test("a storage line tells unreachable, refused and working apart")
    func storage() {
        #expect(SystemCheck.storage("queue q", reachable: true, refusal: nil, credentials: "account key").passed)
        let refused = SystemCheck.storage("queue q", reachable: true, refusal: "403 AuthenticationFailed", credentials: "grant")
        #expect(!refused.passed && refused.detail.contains("refused the credentials"))
        let away = SystemCheck.storage("queue q", reachable: false, refusal: nil, credentials: "grant")
        #expect(!away.passed && away.fix?.contains("runs") == true)
    }
}
