import Foundation
import Verification

/// Reads the front-end's sealed request WITHOUT checking its signature: the module does not hold
/// the device's secret (only the front-end and the agent do), so it can check that the envelope is
/// well formed, consistent with the plain payload fields and still live, and nothing more. The
/// agent verifies the signature. Nothing read here is trusted.
enum UnverifiedRequest {
    static func peek(_ envelope: SignedEnvelope) throws(VerificationError) -> VerificationRequest {
        guard envelope.kind == EnvelopeKind.request.rawValue else {
            throw .wrongKind(expected: EnvelopeKind.request.rawValue, actual: envelope.kind)
        }
        return try envelope.peek(VerificationRequest.self)
    }
}
