public import Verification

/// What is known of one enrolment: its phase, the device's latest progress, and how it ended.
public struct EnrolmentStatus: Sendable, Equatable {
    package var phase: EnrolmentPhase
    /// The device's latest sealed progress (views accepted, hint, last refusal), once validated.
    public var progress: EnrolmentProgress?
    /// Why it failed or was refused, in words for the person.
    package var reason: String?
    /// The stored object (enrolled only).
    package var object: PersonalObject?
    /// The enrolment's quality figures, when the device reported them.
    var quality: TemplateQuality?

    init(phase: EnrolmentPhase, progress: EnrolmentProgress? = nil, reason: String? = nil, object: PersonalObject? = nil, quality: TemplateQuality? = nil) {
        self.phase = phase
        self.progress = progress
        self.reason = reason
        self.object = object
        self.quality = quality
    }
}
