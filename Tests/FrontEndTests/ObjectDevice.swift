import Crypto
import Foundation
@testable import FrontEnd
import Verification

/// A stand-in device for the personal-object route tests: it answers `ProcessRequest`,
/// `EnrollObject` and `RemoveObject` as module + agent do (opening the sealed requests with the
/// device's secret), keeps templates per account, and writes sealed progress, results and
/// thumbnails into an in-memory container. Answers can be held until a test releases them, so
/// that no test depends on timing.
actor ObjectDevice: VerificationBackend {
    enum Enrolment: Sendable {
        case enrols(views: Int)
        case refuses(String)
        case uploadsDifferentThumbnail
    }

    let deviceId: String
    let secret: Verification.SharedSecret
    var enrolment: Enrolment = .enrols(views: 5)
    /// The similarity reported for a template the account owns.
    var similarity: Double = 87
    var classConfidence: Double = 93
    var holdEnrolments = false
    /// Every method fails as the hub reports an unconnected device.
    var offline = false
    var holdVerifications = false
    private(set) var blobs: [String: Data] = [:]
    private(set) var verifications: [VerificationRequest] = []
    private(set) var enrolments: [EnrolmentRequest] = []
    private(set) var removals: [TemplateRemoval] = []
    /// templateId → accountRef.
    private(set) var templates: [String: String] = [:]
    private var heldEnrolments: [EnrolmentRequest] = []
    /// Answers decided when the request arrived (the agent loads the template then), written on release.
    private var heldVerifications: [[String: Data]] = []
    let thumbnail = Data((0..<700).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    let image = Data((0..<1500).map { UInt8(truncatingIfNeeded: $0 &* 13) })

    init(deviceId: String = "cam1", secret: Verification.SharedSecret = .generate()) {
        self.deviceId = deviceId
        self.secret = secret
    }

    func set(enrolment: Enrolment) { self.enrolment = enrolment }
    func set(holdEnrolments: Bool) { self.holdEnrolments = holdEnrolments }
    func set(offline: Bool) { self.offline = offline }
    func set(holdVerifications: Bool) { self.holdVerifications = holdVerifications }
    /// A template the device keeps for `username` (as if enrolled earlier).
    func adopt(_ templateId: String, username: String) { templates[templateId] = AccountReference.make(username: username) }

    /// Answers every held enrolment now.
    func releaseEnrolments() {
        let held = heldEnrolments
        heldEnrolments = []
        for request in held { finish(request) }
    }

    /// Answers every held verification now.
    func releaseVerifications() {
        let held = heldVerifications
        heldVerifications = []
        for answer in held { blobs.merge(answer) { _, new in new } }
    }

    nonisolated func invokeProcessRequest(deviceId: String, moduleId: String?, payload: Data, timeout: Duration) async throws(VerificationBackendError) -> DeviceAnswer {
        try await invokeMethod(name: "ProcessRequest", deviceId: deviceId, moduleId: moduleId, payload: payload, timeout: timeout)
    }

    nonisolated func invokeMethod(name: String, deviceId: String, moduleId: String?, payload: Data, timeout: Duration) async throws(VerificationBackendError) -> DeviceAnswer {
        guard deviceId == self.deviceId else { throw .deviceUnknown }
        if await offline { throw .deviceOffline }
        do {
            return try await handle(name, payload: payload)
        } catch {
            return DeviceAnswer(status: 400, payload: Data("{\"error\":\"\(error)\"}".utf8))
        }
    }

    private func handle(_ name: String, payload: Data) throws -> DeviceAnswer {
        let accepted = DeviceAnswer(status: 200, payload: Data("{\"ResponsesContainer\":\"\(ResultLocation.defaultResponsesContainer)\"}".utf8))
        switch name {
        case "ProcessRequest":
            let body = try ProcessRequestPayload.decode(payload)
            guard let envelope = body.request else { throw VerificationError.malformed("no sealed request") }
            let request = try envelope.open(VerificationRequest.self, kind: .request, secret: secret)
            try request.validate()
            verifications.append(request)
            let answer = answer(request)
            if holdVerifications { heldVerifications.append(answer) } else { blobs.merge(answer) { _, new in new } }
        case SealedMethodPayload.enrolMethod:
            let body = try SealedMethodPayload.decode(payload)
            let request = try body.request.open(EnrolmentRequest.self, kind: .enrolment, secret: secret)
            try request.validate()
            guard body.correlationId == request.requestId else { throw VerificationError.malformed("correlation id") }
            enrolments.append(request)
            // Two views in: progress as the agent reports it.
            let progress = EnrolmentProgress(
                requestId: request.requestId, deviceId: deviceId, acceptedViews: 2, wantedViews: request.views, framesSeen: 9,
                hint: "turn it slowly", lastRefusal: "too close to a view already kept", updatedAt: Date())
            blobs[ResultLocation.enrolmentProgressBlob(for: request.requestId)] = try SignedEnvelope.seal(progress, kind: .enrolmentProgress, keyId: deviceId, secret: secret).jsonData()
            if holdEnrolments { heldEnrolments.append(request) } else { finish(request) }
        case SealedMethodPayload.removeMethod:
            let body = try SealedMethodPayload.decode(payload)
            let removal = try body.request.open(TemplateRemoval.self, kind: .templateRemoval, secret: secret)
            try removal.validate()
            removals.append(removal)
            if templates[removal.templateId] == removal.accountRef { templates[removal.templateId] = nil }
        default:
            return DeviceAnswer(status: 404, payload: Data("{\"error\":\"no method \(name)\"}".utf8))
        }
        return accepted
    }

    private func finish(_ request: EnrolmentRequest) {
        var result: EnrolmentResult
        var thumbnail = self.thumbnail
        let digest = SHA256.hash(data: thumbnail).map { String(format: "%02x", $0) }.joined()
        switch enrolment {
        case .enrols, .uploadsDifferentThumbnail:
            let templateId = RandomID.hex128()
            let kept: Int = if case .enrols(let views) = enrolment { views } else { 5 }
            templates[templateId] = request.accountRef
            result = EnrolmentResult(
                requestId: request.requestId, deviceId: deviceId, accountRef: request.accountRef, outcome: .enrolled, templateId: templateId,
                reason: nil, quality: Self.quality(views: kept), thumbnailSHA256: digest,
                thumbnailBlob: ResultLocation.thumbnailBlob(for: request.requestId), completedAt: Date())
            if case .uploadsDifferentThumbnail = enrolment { thumbnail = Data(thumbnail.reversed()) }
            blobs[ResultLocation.thumbnailBlob(for: request.requestId)] = thumbnail
        case .refuses(let reason):
            result = EnrolmentResult(
                requestId: request.requestId, deviceId: deviceId, accountRef: request.accountRef, outcome: .refused, templateId: nil,
                reason: reason, quality: Self.quality(views: 2), thumbnailSHA256: nil, thumbnailBlob: nil, completedAt: Date())
        }
        result.container = nil
        if let sealed = try? SignedEnvelope.seal(result, kind: .enrolmentResult, keyId: deviceId, secret: secret) {
            blobs[ResultLocation.enrolmentResultBlob(for: request.requestId)] = sealed.jsonData()
        }
    }

    static func quality(views: Int) -> TemplateQuality {
        TemplateQuality(views: views, framesSeen: 40, blurryFrames: 3, repeatedFrames: 20, emptySceneFrames: 0,
                        meanViewSimilarity: 0.62, minimumSharpness: 180, emptySceneSimilarity: nil)
    }

    /// Found when the template belongs to the request's account on this device (or for a class).
    private func answer(_ request: VerificationRequest) -> [String: Data] {
        var blobs: [String: Data] = [:]
        let found: Bool
        let score: Double
        if let templateId = request.templateId {
            found = templates[templateId] == request.accountRef
            score = found ? similarity : 0
        } else {
            found = true
            score = classConfidence
        }
        let digest = SHA256.hash(data: image).map { String(format: "%02x", $0) }.joined()
        let result = VerificationResult(
            requestId: request.requestId, deviceId: request.deviceId, className: request.className, outcome: found ? .found : .notFound,
            confidence: score, imageSHA256: found ? digest : nil, blobName: found ? ResultLocation.imageBlob(for: request.requestId) : nil,
            capturedAt: Date(), templateId: request.templateId)
        if found { blobs[ResultLocation.imageBlob(for: request.requestId)] = image }
        if let sealed = try? SignedEnvelope.seal(result, kind: .result, keyId: request.deviceId, secret: secret) {
            blobs[ResultLocation.resultBlob(for: request.requestId)] = sealed.jsonData()
        }
        return blobs
    }

    nonisolated func readBlob(named name: String, maximumSize: Int) async throws(VerificationBackendError) -> Data? {
        let data = await blobs[name]
        if let data, data.count > maximumSize { throw .tooLarge(data.count) }
        return data
    }
}
