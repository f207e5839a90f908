import AzureStorage
import Crypto
import EdgeFactorSupport
import Foundation
import IoTHub
import Logging
import Verification
import Vision

/// Stores a request's evidence and result and tells the hub: the annotated JPEG at
/// `{requestId}/imageWithDetection.jpg`, the sealed result at `{requestId}/result.json`, then a
/// `ResultTelemetry` message. The sealed result names the container, which the module's settings
/// can change, so the front-end knows where the evidence is.
///
/// `result.json` is written last and never overwritten, so it marks a request as answered: a
/// redelivered or replayed request finds it and is only acknowledged, and two attempts can never
/// leave two different results.
struct ResultPublisher: Sendable {
    let deviceId: String
    let deviceSecret: Verification.SharedSecret
    let container: BlobContainerClient
    let jpegQuality: Int

    /// What publishing produced, for telemetry and metrics.
    struct Published: Sendable {
        var result: VerificationResult
        var envelope: SignedEnvelope
        /// False when another attempt had already stored a result for the request.
        var stored: Bool
        var timings: [String: Double]
    }

    /// Whether a result for `requestId` is already stored.
    func isAnswered(_ requestId: String) async throws -> Bool {
        try await container.blob(ResultLocation.resultBlob(for: requestId)).exists()
    }

    /// The caption drawn on the evidence image.
    static func caption(className: String, confidence: Double) -> String {
        TextOverlay.foundCaption(className: className, confidence: Float(confidence / 100))
    }

    /// Annotates `frame`, uploads it and the sealed `found` result.
    func publishFound(
        request: VerificationRequest, frame: RGBImage, confidence: Double, capturedAt: Date
    ) async throws -> Published {
        let clock = ContinuousClock()
        let encodeStart = clock.now
        var annotated = frame
        let scale = TextOverlay.automaticScale(for: annotated)
        let caption = request.isPersonalObject
            ? Self.objectCaption(name: request.className, similarity: confidence)
            : Self.caption(className: request.className, confidence: confidence)
        TextOverlay.draw(caption, on: &annotated, at: (x: 4 * scale, y: 4 * scale), scale: scale)
        let jpeg = try ImageCodec.encodeJPEG(annotated, quality: jpegQuality)
        let digest = SHA256.hash(data: jpeg).map { String(format: "%02x", $0) }.joined()
        let imageBlob = ResultLocation.imageBlob(for: request.requestId)
        let result = VerificationResult(
            requestId: request.requestId, deviceId: deviceId, className: request.className, outcome: .found,
            confidence: confidence, imageSHA256: digest, blobName: imageBlob, capturedAt: capturedAt,
            container: container.containerName, templateId: request.templateId)
        let envelope = try SignedEnvelope.seal(result, kind: .result, keyId: deviceId, secret: deviceSecret)
        let encodeMs = clock.now - encodeStart

        let uploadStart = clock.now
        let metadata = [
            "requestid": request.requestId,
            "deviceid": deviceId,
            "confidence": String(format: "%.2f", confidence),
            "sha256": digest,
            "signature": envelope.sig,
        ]
        // A crash between the two uploads leaves an image without a result; the retry replaces it.
        _ = try await container.blob(imageBlob).upload(jpeg, contentType: "image/jpeg", metadata: metadata, overwrite: true)
        let stored = try await storeResult(envelope, requestId: request.requestId)
        return Published(
            result: result, envelope: envelope, stored: stored,
            timings: ["encode": encodeMs.inMilliseconds, "upload": (clock.now - uploadStart).inMilliseconds])
    }

    /// Uploads the sealed `not-found` result.
    func publishNotFound(request: VerificationRequest, bestConfidence: Double, outcome: VerificationOutcome = .notFound, now: Date = Date()) async throws -> Published {
        let clock = ContinuousClock()
        let result = VerificationResult(
            requestId: request.requestId, deviceId: deviceId, className: request.className, outcome: outcome,
            confidence: min(100, max(0, bestConfidence)), imageSHA256: nil, blobName: nil, capturedAt: now,
            container: container.containerName, templateId: request.templateId)
        let envelope = try SignedEnvelope.seal(result, kind: .result, keyId: deviceId, secret: deviceSecret)
        let uploadStart = clock.now
        let stored = try await storeResult(envelope, requestId: request.requestId)
        return Published(result: result, envelope: envelope, stored: stored, timings: ["upload": (clock.now - uploadStart).inMilliseconds])
    }

    /// Writes `result.json` unless it exists; false when it already did.
    private func storeResult(_ envelope: SignedEnvelope, requestId: String) async throws -> Bool {
        do {
            _ = try await container.blob(ResultLocation.resultBlob(for: requestId))
                .upload(Array(envelope.jsonData()), contentType: "application/json", metadata: [:], overwrite: false)
            return true
        } catch let error as StorageError where error.status == 409 {
            return false
        }
    }
}
