import Foundation
import Verification
import Vision

/// A request whose outcome is decided and whose result must now be stored.
enum PublishJob: Sendable {
    /// A frame showed the class at or above the threshold.
    case found(RequestBook<QueueMessageLease>.Entry, frame: RGBImage, confidence: Double, capturedAt: Date, inferenceMilliseconds: Double)
    /// The deadline passed (or the model does not know the class, or the template cannot be used).
    case notFound(RequestBook<QueueMessageLease>.Entry)
    /// The camera delivers no frames: answered at once, so the person is told without waiting.
    case cameraUnavailable(RequestBook<QueueMessageLease>.Entry)
    /// An enrolment's capture is over: store the template (or the refusal) and answer.
    case enrolment(EnrolmentSession)
    /// Where an enrolment stands, for the person watching the page.
    case progress(EnrolmentProgress)
    /// The best score so far of a request being watched, for the person watching the page.
    case verificationProgress(VerificationProgress)

    /// The verification request this job answers (nil for enrolment jobs).
    var entry: RequestBook<QueueMessageLease>.Entry? {
        switch self {
        case .found(let entry, _, _, _, _), .notFound(let entry), .cameraUnavailable(let entry): entry
        case .enrolment, .progress, .verificationProgress: nil
        }
    }
}
