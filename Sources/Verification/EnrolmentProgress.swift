public import Foundation

/// Where an enrolment stands, for the person watching the page: views accepted so far and what is
/// wrong with the frames refused. The agent overwrites `{requestId}/progress.json` with it, sealed
/// with the device's secret (`EnvelopeKind.enrolmentProgress`).
public struct EnrolmentProgress: Codable, Sendable, Hashable {
    public var requestId: String
    public var deviceId: String
    public var acceptedViews: Int
    public var wantedViews: Int
    public var framesSeen: Int
    /// What the person should do now ("turn it slowly", "hold it closer", ...).
    public var hint: String
    /// Why the latest refused frame was refused, if one was.
    public var lastRefusal: String?
    public var updatedAt: Date

    public init(
        requestId: String, deviceId: String, acceptedViews: Int, wantedViews: Int, framesSeen: Int,
        hint: String, lastRefusal: String?, updatedAt: Date
    ) {
        self.requestId = requestId
        self.deviceId = deviceId
        self.acceptedViews = acceptedViews
        self.wantedViews = wantedViews
        self.framesSeen = framesSeen
        self.hint = hint
        self.lastRefusal = lastRefusal
        self.updatedAt = updatedAt
    }

    /// Checks the fields and that it answers `request`.
    public func validate(answering request: EnrolmentRequest) throws(VerificationError) {
        guard requestId == request.requestId, deviceId == request.deviceId else {
            throw .invalidField(name: "requestId", reason: "answers another enrolment")
        }
        guard (0...EnrolmentRequest.viewRange.upperBound).contains(acceptedViews), wantedViews == request.views,
              (0...1_000_000).contains(framesSeen)
        else { throw .invalidField(name: "acceptedViews", reason: "out of range") }
        guard hint.count <= 200, (lastRefusal?.count ?? 0) <= 200 else {
            throw .invalidField(name: "hint", reason: "longer than 200 characters")
        }
    }
}
