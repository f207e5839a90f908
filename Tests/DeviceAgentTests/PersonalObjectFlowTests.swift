import AzureStorage
import Foundation
import Testing
import Verification
import Vision

@testable import DeviceAgent

/// A person's own object, end to end on the real built-in hub and storage, the real model and a
/// camera switched between frames of two filmed objects (a black cup and a yellow box, from
/// set-up's object data): EnrollObject → module → queue → agent → sealed result; then challenges
/// that only that object passes.
@Suite(.serialized) struct PersonalObjectFlowTests {
    @Test func enrolVerifyRefuseOthersAndRemove() async throws {
        try await FlowHarness.with { flow in
            let camera = try flow.objectCamera()
            var configuration = flow.agentConfiguration(camera: "switchable")
            let state = flow.root.appendingPathComponent("agent-state", isDirectory: true)
            configuration.stateDirectory = state
            flow.startModule()
            try flow.startAgent(configuration, camera: camera)

            // Enrolment at the device: a sealed result with a template id, a thumbnail and its figures.
            let (enrolment, response) = try await flow.enrol(views: 4)
            #expect(response.status == 200)
            let enrolled = try await flow.enrolmentResult(for: enrolment)
            #expect(enrolled.outcome == .enrolled, "\(enrolled.reason ?? "")")
            let templateId = try #require(enrolled.templateId)
            #expect(enrolled.quality.views == 4)
            #expect(enrolled.quality.framesSeen >= 4)
            let (thumbnail, _) = try await flow.container.blob(try #require(enrolled.thumbnailBlob)).download()
            #expect(FlowHarness.sha256(thumbnail) == enrolled.thumbnailSHA256)
            #expect(try ImageCodec.decode(thumbnail).width <= ResultPublisher.thumbnailSide)
            let (progressData, _) = try await flow.container.blob(ResultLocation.enrolmentProgressBlob(for: enrolment.requestId)).download()
            let progress = try SignedEnvelope.decode(progressData).open(EnrolmentProgress.self, kind: .enrolmentProgress, secret: flow.deviceSecret)
            try progress.validate(answering: enrolment)

            // The template stays on the device, private and encrypted: no template bytes in clear.
            let file = state.appendingPathComponent("templates/\(templateId).eft")
            let stored = try Data(contentsOf: file)
            #expect(stored.range(of: Data("EFOBJTPL".utf8)) == nil)
            let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
            #expect(mode == 0o600)

            // The enrolled cup verifies, with the similarity in the signed result.
            let found = try await flow.result(for: try await flow.invokeObject(templateId), timeout: .seconds(60)).0
            #expect(found.outcome == .found)
            #expect(found.templateId == templateId)
            #expect(found.confidence >= 72)

            // Another object is refused at expiry.
            await camera.select("box")
            let box = try await flow.result(for: try await flow.invokeObject(templateId, lifetime: .seconds(8)), timeout: .seconds(60)).0
            #expect(box.outcome == .notFound)
            #expect(box.confidence < 72)
            await camera.select("cup")

            // Another account cannot use the template: answered not found at once, not at expiry.
            let other = try await flow.invokeObject(templateId, lifetime: .seconds(120), account: AccountReference.make(username: "mallory"))
            #expect(try await flow.result(for: other, timeout: .seconds(60)).0.outcome == .notFound)

            // An altered template file does not open.
            var altered = stored
            altered[altered.count / 2] ^= 0x01
            try altered.write(to: file)
            let tampered = try await flow.invokeObject(templateId, lifetime: .seconds(120))
            #expect(try await flow.result(for: tampered, timeout: .seconds(60)).0.outcome == .notFound)
            try stored.write(to: file)

            // A removed object no longer verifies, even with the object in front of the camera.
            #expect(try await flow.removeObject(templateId).status == 200)
            try await waitUntil(timeout: .seconds(30)) { !FileManager.default.fileExists(atPath: file.path) }
            let removed = try await flow.invokeObject(templateId, lifetime: .seconds(120))
            #expect(try await flow.result(for: removed, timeout: .seconds(60)).0.outcome == .notFound)
        }
    }

    @Test func enrolmentFromABlackStreamIsRefusedSayingWhy() async throws {
        try await FlowHarness.with { flow in
            let camera = try flow.objectCamera()
            await camera.select("black")
            flow.startModule()
            try flow.startAgent(flow.agentConfiguration(camera: "switchable"), camera: camera)

            let (enrolment, response) = try await flow.enrol(views: 3, seconds: 3)
            #expect(response.status == 200)
            let result = try await flow.enrolmentResult(for: enrolment)
            #expect(result.outcome == .refused)
            #expect(result.templateId == nil)
            #expect(result.reason?.contains("blurred, dark or uniform") == true, "\(result.reason ?? "")")
        }
    }

    @Test func theModuleRefusesAnEnrolmentForAnotherDevice() async throws {
        try await FlowHarness.with { flow in
            flow.startModule()
            let request = try EnrolmentRequest.make(deviceId: "other-device", moduleId: FlowHarness.moduleId, accountRef: FlowHarness.accountRef, objectName: "cup")
            let envelope = try SignedEnvelope.seal(request, kind: .enrolment, keyId: "other-device", secret: flow.deviceSecret)
            let payload = try SealedMethodPayload(correlationId: request.requestId, request: envelope).jsonData()
            let response = try await flow.invokeWhenOnline(payload, method: SealedMethodPayload.enrolMethod)
            #expect(response.status == 400)
            #expect(String(decoding: response.payload, as: UTF8.self).contains("this module runs on"))
            // A verification request presented to EnrollObject is refused by kind.
            let verification = try VerificationRequest.make(deviceId: FlowHarness.deviceId, moduleId: FlowHarness.moduleId, className: "cup", threshold: 80)
            let sealed = try SignedEnvelope.seal(verification, kind: .request, keyId: FlowHarness.deviceId, secret: flow.deviceSecret)
            let wrongKind = try await flow.invokeWhenOnline(try SealedMethodPayload(correlationId: verification.requestId, request: sealed).jsonData(), method: SealedMethodPayload.enrolMethod)
            #expect(wrongKind.status == 400)
        }
    }
}
