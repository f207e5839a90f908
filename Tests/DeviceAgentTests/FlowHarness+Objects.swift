import AzureStorage
import Crypto
import Foundation
import IoTHub
import Verification
import Vision

/// Helpers for the personal-object tests: a camera that can be pointed at the cup, the box or a
/// black screen, and the front-end's side of enrolment and of object challenges.
extension FlowHarness {
    static let accountRef = AccountReference.make(username: "alice")

    /// A folder of every `step`-th frame of one of set-up's object videos (var/objects/NAME).
    func objectFrames(_ name: String, step: Int = 12, first: Int = 1, count: Int = 12) throws -> String {
        let source = URL(fileURLWithPath: (ProcessInfo.processInfo.environment["EDGEFACTOR_HOME"] ?? "var") + "/objects/" + name)
        let folder = root.appendingPathComponent("frames-\(name)-\(first)-\(UUID().uuidString.prefix(4))", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for i in 0..<count {
            let file = String(format: "%04d.jpg", first + i * step)
            let from = source.appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: from.path) else {
                throw FlowTestError("\(from.path) is missing: run scripts/setup.sh --test")
            }
            try FileManager.default.copyItem(at: from, to: folder.appendingPathComponent(file))
        }
        return folder.path
    }

    /// A camera switchable between the cup, the box and a black screen (`cup` selected).
    func objectCamera() throws -> SwitchableFrameSource {
        let black = root.appendingPathComponent("black", isDirectory: true)
        try FileManager.default.createDirectory(at: black, withIntermediateDirectories: true)
        try Data(ImageCodec.encodeJPEG(RGBImage(width: 160, height: 120), quality: 80)).write(to: black.appendingPathComponent("black.jpg"))
        let options = FrameSourceOptions(loop: true)
        return try SwitchableFrameSource([
            ("cup", try FrameSources.open(objectFrames("cup", step: 9, count: 24), options: options)),
            ("box", try FrameSources.open(objectFrames("box", step: 18, count: 24), options: options)),
            ("black", try FrameSources.open(black.path, options: options)),
        ])
    }

    /// Seals an enrolment, invokes `EnrollObject` (retrying while the module connects).
    func enrol(name: String = "black cup", views: Int = 4, seconds: Double = 20, account: String = FlowHarness.accountRef) async throws -> (EnrolmentRequest, MethodResponse) {
        let request = try EnrolmentRequest.make(deviceId: Self.deviceId, moduleId: Self.moduleId, accountRef: account, objectName: name, views: views, captureSeconds: seconds)
        let envelope = try SignedEnvelope.seal(request, kind: .enrolment, keyId: Self.deviceId, secret: deviceSecret)
        let payload = try SealedMethodPayload(correlationId: request.requestId, request: envelope).jsonData()
        return (request, try await invokeWhenOnline(payload, method: SealedMethodPayload.enrolMethod))
    }

    /// Seals a removal and invokes `RemoveObject`.
    func removeObject(_ templateId: String, account: String = FlowHarness.accountRef) async throws -> MethodResponse {
        let removal = try TemplateRemoval.make(deviceId: Self.deviceId, moduleId: Self.moduleId, accountRef: account, templateId: templateId)
        let envelope = try SignedEnvelope.seal(removal, kind: .templateRemoval, keyId: Self.deviceId, secret: deviceSecret)
        return try await invokeWhenOnline(try SealedMethodPayload(correlationId: removal.requestId, request: envelope).jsonData(), method: SealedMethodPayload.removeMethod)
    }

    /// Waits for the sealed enrolment result and checks it as the front-end does.
    func enrolmentResult(for request: EnrolmentRequest, timeout: Duration = .seconds(120)) async throws -> EnrolmentResult {
        let blob = container.blob(ResultLocation.enrolmentResultBlob(for: request.requestId))
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let (data, _) = try? await blob.download() {
                let result = try SignedEnvelope.decode(data).open(EnrolmentResult.self, kind: .enrolmentResult, secret: deviceSecret)
                try result.validate(answering: request)
                return result
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw FlowTestError("no enrolment result within \(timeout)")
    }

    /// Challenges `templateId` as the front-end does: the object's name, a similarity threshold.
    func invokeObject(_ templateId: String, name: String = "black cup", threshold: Double = 72, lifetime: Duration = .seconds(30), account: String = FlowHarness.accountRef) async throws -> VerificationRequest {
        let request = try VerificationRequest.make(
            deviceId: Self.deviceId, moduleId: Self.moduleId, className: name, threshold: threshold, lifetime: lifetime,
            templateId: templateId, accountRef: account)
        let envelope = try SignedEnvelope.seal(request, kind: .request, keyId: Self.deviceId, secret: deviceSecret)
        let response = try await invokeWhenOnline(try ProcessRequestPayload(request: request, envelope: envelope).jsonData(), method: "ProcessRequest")
        guard response.status == 200 else { throw FlowTestError("ProcessRequest answered \(response.status)") }
        return request
    }

    /// Invokes a method until the module answers (it may still be connecting).
    func invokeWhenOnline(_ payload: Data, method: String) async throws -> MethodResponse {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                return try await invokeRaw(payload, method: method)
            } catch let error as IoTHubServiceError where error.status == 404 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
