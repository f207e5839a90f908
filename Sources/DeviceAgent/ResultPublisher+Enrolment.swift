import AzureStorage
import Crypto
import Foundation
import Verification
import Vision

extension ResultPublisher {
    /// Thumbnails are at most this many pixels on their long side.
    static let thumbnailSide = 160

    /// Overwrites `{requestId}/progress.json` with the sealed progress.
    func publishProgress(_ progress: EnrolmentProgress) async throws {
        let envelope = try SignedEnvelope.seal(progress, kind: .enrolmentProgress, keyId: deviceId, secret: deviceSecret)
        _ = try await container.blob(ResultLocation.enrolmentProgressBlob(for: progress.requestId))
            .upload(Array(envelope.jsonData()), contentType: "application/json", metadata: [:], overwrite: true)
    }

    /// Whether an enrolment result for `requestId` is already stored.
    func isEnrolmentAnswered(_ requestId: String) async throws -> Bool {
        try await container.blob(ResultLocation.enrolmentResultBlob(for: requestId)).exists()
    }

    /// Uploads the thumbnail (enrolled only), then the sealed result, which is never overwritten.
    /// Returns the envelope, and false when an earlier attempt had stored a result already.
    func publishEnrolment(_ result: EnrolmentResult, thumbnail: [UInt8]?) async throws -> (envelope: SignedEnvelope, stored: Bool) {
        if let thumbnail, let blob = result.thumbnailBlob {
            _ = try await container.blob(blob).upload(thumbnail, contentType: "image/jpeg", metadata: [:], overwrite: true)
        }
        let envelope = try SignedEnvelope.seal(result, kind: .enrolmentResult, keyId: deviceId, secret: deviceSecret)
        do {
            _ = try await container.blob(ResultLocation.enrolmentResultBlob(for: result.requestId))
                .upload(Array(envelope.jsonData()), contentType: "application/json", metadata: [:], overwrite: false)
            return (envelope, true)
        } catch let error as StorageError where error.status == 409 {
            return (envelope, false)
        }
    }

    /// A small JPEG of `frame`, and its SHA-256.
    func thumbnail(of frame: RGBImage) throws -> (jpeg: [UInt8], sha256: String) {
        let scale = Double(Self.thumbnailSide) / Double(max(frame.width, frame.height))
        let small = scale < 1
            ? try frame.resized(width: max(1, Int(Double(frame.width) * scale)), height: max(1, Int(Double(frame.height) * scale)))
            : frame
        let jpeg = try ImageCodec.encodeJPEG(small, quality: 85)
        return (jpeg, SHA256.hash(data: jpeg).map { String(format: "%02x", $0) }.joined())
    }

    /// The caption drawn on the evidence of a personal object.
    static func objectCaption(name: String, similarity percent: Double) -> String {
        "Found your \(name) (\(Int(percent.rounded(.down)))% similar)"
    }

    /// Writes a watched request's best score so far over `{requestId}/progress.json`.
    func publishProgress(_ progress: VerificationProgress) async throws {
        let envelope = try SignedEnvelope.seal(progress, kind: .verificationProgress, keyId: deviceId, secret: deviceSecret)
        _ = try await container.blob(ResultLocation.verificationProgressBlob(for: progress.requestId))
            .upload(Array(envelope.jsonData()), contentType: "application/json", metadata: [:], overwrite: true)
    }
}
