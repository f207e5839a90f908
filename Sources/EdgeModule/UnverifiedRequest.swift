import Foundation
import Verification

/// Reads the front-end's sealed request WITHOUT checking its signature: the module does not hold
/// the device's secret (only the front-end and the agent do), so it can check that the envelope is
/// well formed, consistent with the plain payload fields and still live, and nothing more. The
/// agent verifies the signature. Nothing read here is trusted.
enum UnverifiedRequest {
    static func peek(_ envelope: SignedEnvelope) throws(VerificationError) -> VerificationRequest {
        guard envelope.v == SignedEnvelope.currentVersion else { throw .unsupportedVersion(envelope.v) }
        guard envelope.kind == EnvelopeKind.request.rawValue else {
            throw .wrongKind(expected: EnvelopeKind.request.rawValue, actual: envelope.kind)
        }
        let decoder = JSONDecoder()
        // The same date forms as the envelope's canonical JSON (ISO 8601, fractional seconds optional).
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
            if let date = try? Date(text, strategy: .iso8601) { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 date")
        }
        do {
            return try decoder.decode(VerificationRequest.self, from: Data(envelope.payload.utf8))
        } catch {
            throw .malformed("sealed request payload: \(error)")
        }
    }
}
