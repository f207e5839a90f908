import Foundation
import Testing
import Verification

@testable import DeviceAgent

/// Opening queue messages: both HMACs, expiry, addressee, legacy format only when enabled.
@Suite struct RequestIntakeTests {
    let deviceSecret = SharedSecret.generate()
    let moduleSecret = SharedSecret.generate()

    func intake(legacy: Bool = false) -> RequestIntake {
        RequestIntake(deviceId: "dev1", deviceSecret: deviceSecret, moduleSecrets: ["mod1": moduleSecret], acceptLegacy: legacy, legacyLifetime: 30)
    }

    func message(
        request: VerificationRequest? = nil, deviceSecret: SharedSecret? = nil, moduleSecret: SharedSecret? = nil,
        moduleKey: String = "mod1", deviceKey: String = "dev1", queuedExpiry: Date? = nil, now: Date = Date()
    ) throws -> (String, VerificationRequest) {
        let request = try request ?? VerificationRequest.make(deviceId: "dev1", moduleId: "mod1", className: "tabby", threshold: 70, now: now)
        let inner = try SignedEnvelope.seal(request, kind: .request, keyId: deviceKey, secret: deviceSecret ?? self.deviceSecret)
        let queued = QueuedRequest.make(wrapping: inner, expiresAt: queuedExpiry ?? request.expiresAt, now: now)
        let outer = try SignedEnvelope.seal(queued, kind: .queuedRequest, keyId: moduleKey, secret: moduleSecret ?? self.moduleSecret)
        return (outer.jsonString(), request)
    }

    func reason(_ text: String, legacy: Bool = false, now: Date = Date()) -> RequestRejection.Reason? {
        do {
            _ = try intake(legacy: legacy).open(text, now: now)
            return nil
        } catch {
            return error.reason
        }
    }

    func refusal(_ text: String) -> RequestRejection? {
        do {
            _ = try intake().open(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func genuineMessageOpens() throws {
        let now = Date()
        let (text, request) = try message(queuedExpiry: now.addingTimeInterval(20), now: now)
        let accepted = try intake().open(text, now: now)
        // Dates travel as ISO 8601 with milliseconds.
        #expect(accepted.request.requestId == request.requestId)
        #expect(accepted.request.nonce == request.nonce)
        #expect(abs(accepted.request.expiresAt.timeIntervalSince(request.expiresAt)) < 0.001)
        #expect(abs(accepted.deadline.timeIntervalSince(now.addingTimeInterval(20))) < 0.001)
        #expect(!accepted.legacy)
    }

    @Test func tamperedPayloadIsRefused() throws {
        let (text, _) = try message()
        // Change the class inside the module's signed payload.
        let tampered = text.replacingOccurrences(of: "tabby", with: "tiger")
        #expect(tampered != text)
        #expect(reason(tampered) == .badSignature)
    }

    @Test func wrongSecretsAreRefused() throws {
        #expect(reason(try message(moduleSecret: .generate()).0) == .badSignature)
        #expect(reason(try message(deviceSecret: .generate()).0) == .badSignature)
        #expect(reason(try message(moduleKey: "mod2").0) == .unknownKey)
    }

    @Test("a message sealed for another device is left for that device's agent, whatever the module's seal")
    func anotherDevicesMessageIsLeftUntouched() throws {
        // The other box's module has the same id as ours but its own secret: no signature of ours fits.
        for text in [try message(deviceKey: "dev2").0, try message(moduleSecret: .generate(), deviceKey: "dev2").0] {
            let rejection = try #require(refusal(text))
            #expect(rejection.reason == .otherDevice)
            #expect(rejection.leavesUntouched)
            #expect(!rejection.deadLetters)
        }
        // Our own device's message with a wrong module seal is still a forgery, kept as evidence.
        let forged = try #require(refusal(try message(moduleSecret: .generate()).0))
        #expect(!forged.leavesUntouched && forged.deadLetters)
    }

    @Test func requestForAnotherDeviceIsRefused() throws {
        let other = try VerificationRequest.make(deviceId: "dev2", moduleId: nil, className: "tabby", threshold: 70)
        #expect(reason(try message(request: other).0) == .wrongDevice)
    }

    @Test func expiredMessagesAreRefused() throws {
        let now = Date()
        let (text, _) = try message(now: now)
        #expect(reason(text, now: now.addingTimeInterval(61)) == .expired)
        let (short, _) = try message(queuedExpiry: now.addingTimeInterval(2), now: now)
        #expect(reason(short, now: now.addingTimeInterval(3)) == .expired)
        #expect(reason(text, now: now.addingTimeInterval(-120)) == .notYetValid)
    }

    @Test func garbageIsMalformed() throws {
        #expect(reason("{") == .malformed)
        #expect(reason(#"{"v":1}"#) == .malformed)
        #expect(reason(String(repeating: "x", count: 70_000)) == .malformed)
        // A request envelope put on the queue directly (no module seal) has the wrong kind.
        let request = try VerificationRequest.make(deviceId: "dev1", moduleId: nil, className: "tabby", threshold: 70)
        let bare = try SignedEnvelope.seal(request, kind: .request, keyId: "mod1", secret: moduleSecret)
        #expect(reason(bare.jsonString()) == .wrongKind)
    }

    @Test func legacyFormatOnlyWithTheOption() throws {
        let id = "0123456789abcdef0123456789abcdef"
        #expect(reason("\(id)|tabby|70|00:11:22:33:44:55") == .legacyDisabled)
        let accepted = try intake(legacy: true).open("\(id)|tabby|70|00:11:22:33:44:55")
        #expect(accepted.legacy)
        #expect(accepted.request.requestId == id)
        #expect(accepted.request.className == "tabby")
        #expect(accepted.request.threshold == 70)
        #expect(reason("\(id)|tab\"by|70|x", legacy: true) == .invalidField)
        #expect(reason("\(id)|tabby|70", legacy: true) == .malformed)
    }
}
