import Crypto
import Foundation
@testable import FrontEnd
import Verification

/// A stand-in for hub + storage + module + agent, used only by the fast route tests; the
/// end-to-end tests use the real services. It checks the front-end's sealed request exactly as
/// the agent does and writes a sealed result (and image) into an in-memory container.
actor SimulatedDevice: VerificationBackend {
    enum Behaviour: Sendable {
        case finds(confidence: Double)
        case doesNotFind
        case offline
        case timesOut
        case acceptsAndStaysSilent
        case signsWithWrongKey
        /// Someone else's result lands first (sealed with another key), the device's own after it.
        case plantedThenGenuine
        /// Reports a best score of 43 % for a while, then finds the object.
        case progressThenFinds
        case uploadsDifferentImage
        case refuses(status: Int)
    }

    let deviceId: String
    let secret: Verification.SharedSecret
    var behaviour: Behaviour
    var answerDelay: Duration = .milliseconds(200)
    private(set) var blobs: [String: Data] = [:]
    private(set) var invocations: [VerificationRequest] = []
    let image = Data((0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 31) })

    init(deviceId: String = "cam1", secret: Verification.SharedSecret = .generate(), behaviour: Behaviour = .finds(confidence: 93.5)) {
        self.deviceId = deviceId
        self.secret = secret
        self.behaviour = behaviour
    }

    func setBehaviour(_ behaviour: Behaviour) { self.behaviour = behaviour }
    func setAnswerDelay(_ delay: Duration) { answerDelay = delay }

    nonisolated func invokeProcessRequest(deviceId: String, moduleId: String?, payload: Data, timeout: Duration) async throws(VerificationBackendError) -> DeviceAnswer {
        do {
            return try await handle(deviceId: deviceId, payload: payload)
        } catch let error as VerificationBackendError {
            throw error
        } catch {
            return DeviceAnswer(status: 400, payload: Data("{\"error\":\"\(error)\"}".utf8))
        }
    }

    private func handle(deviceId: String, payload: Data) async throws -> DeviceAnswer {
        switch behaviour {
        case .offline: throw VerificationBackendError.deviceOffline
        case .timesOut: throw VerificationBackendError.timedOut
        case .refuses(let status): return DeviceAnswer(status: status, payload: Data("{\"message\":\"refused\"}".utf8))
        default: break
        }
        guard deviceId == self.deviceId else { throw VerificationBackendError.deviceUnknown }
        let body = try ProcessRequestPayload.decode(payload)
        guard let envelope = body.request else { throw VerificationError.malformed("no sealed request") }
        let request = try envelope.open(VerificationRequest.self, kind: .request, secret: secret)
        try request.validate()
        invocations.append(request)
        let behaviour = self.behaviour
        Task { await self.answer(request, behaviour) }
        return DeviceAnswer(status: 200, payload: Data("{\"accepted\":true}".utf8))
    }

    private func answer(_ request: VerificationRequest, _ behaviour: Behaviour) async {
        try? await Task.sleep(for: answerDelay)
        var signingSecret = secret
        var image = self.image
        let outcome: VerificationOutcome
        var confidence: Double = 90
        switch behaviour {
        case .finds(let reported):
            outcome = .found
            confidence = reported
        case .signsWithWrongKey:
            outcome = .found
            signingSecret = .generate()
        case .progressThenFinds:
            let progress = VerificationProgress(requestId: request.requestId, deviceId: request.deviceId, bestConfidence: 43, updatedAt: Date())
            if let sealed = try? SignedEnvelope.seal(progress, kind: .verificationProgress, keyId: request.deviceId, secret: secret) {
                blobs[ResultLocation.verificationProgressBlob(for: request.requestId)] = sealed.jsonData()
            }
            try? await Task.sleep(for: .seconds(2))
            outcome = .found
            confidence = 91
        case .plantedThenGenuine:
            let forged = VerificationResult(
                requestId: request.requestId, deviceId: request.deviceId, className: request.className, outcome: .notFound,
                confidence: 1, imageSHA256: nil, blobName: nil, capturedAt: Date())
            if let sealed = try? SignedEnvelope.seal(forged, kind: .result, keyId: request.deviceId, secret: .generate()) {
                blobs[ResultLocation.resultBlob(for: request.requestId)] = sealed.jsonData()
            }
            try? await Task.sleep(for: .milliseconds(600))
            outcome = .found
            confidence = 88
        case .uploadsDifferentImage:
            outcome = .found
            image = Data(image.reversed())
        case .doesNotFind:
            outcome = .notFound
            confidence = 12
        default:
            return
        }
        let digest = SHA256.hash(data: self.image).map { String(format: "%02x", $0) }.joined()
        let result = VerificationResult(
            requestId: request.requestId, deviceId: request.deviceId, className: request.className, outcome: outcome,
            confidence: confidence, imageSHA256: outcome == .found ? digest : nil,
            blobName: outcome == .found ? ResultLocation.imageBlob(for: request.requestId) : nil, capturedAt: Date()
        )
        if outcome == .found { blobs[ResultLocation.imageBlob(for: request.requestId)] = image }
        if let sealed = try? SignedEnvelope.seal(result, kind: .result, keyId: request.deviceId, secret: signingSecret) {
            blobs[ResultLocation.resultBlob(for: request.requestId)] = sealed.jsonData()
        }
    }

    nonisolated func readBlob(named name: String, maximumSize: Int) async throws(VerificationBackendError) -> Data? {
        let data = await blobs[name]
        if let data, data.count > maximumSize { throw .tooLarge(data.count) }
        return data
    }
}
