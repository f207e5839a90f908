public import Foundation

/// How close the device has come so far: the best score any frame gave the challenged object.
/// Sealed by the agent with the device's secret (`EnvelopeKind.verificationProgress`) and written
/// over `{requestId}/progress.json` as it improves, so that the person at the page sees "43 % of
/// the 70 % needed" while the camera looks. It decides nothing: only the result does.
public struct VerificationProgress: Codable, Sendable, Hashable {
    public var requestId: String
    public var deviceId: String
    /// Percent: the class's probability, or a personal object's similarity.
    public var bestConfidence: Double
    public var updatedAt: Date

    public init(requestId: String, deviceId: String, bestConfidence: Double, updatedAt: Date) {
        self.requestId = requestId
        self.deviceId = deviceId
        self.bestConfidence = bestConfidence
        self.updatedAt = updatedAt
    }

    /// Checks that it belongs to `request` and that its number is a percentage.
    public func validate(answering request: VerificationRequest) throws(VerificationError) {
        guard requestId == request.requestId, deviceId == request.deviceId else {
            throw .invalidField(name: "requestId", reason: "progress of another request")
        }
        guard bestConfidence.isFinite, (0...100).contains(bestConfidence) else {
            throw .invalidField(name: "bestConfidence", reason: "must be 0 to 100")
        }
    }
}
