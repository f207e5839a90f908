import Foundation
import Vision

/// A request whose outcome is decided and whose result must now be stored.
enum PublishJob: Sendable {
    /// A frame showed the class at or above the threshold.
    case found(RequestBook<QueueMessageLease>.Entry, frame: RGBImage, confidence: Double, capturedAt: Date, inferenceMilliseconds: Double)
    /// The deadline passed (or the model does not know the class).
    case notFound(RequestBook<QueueMessageLease>.Entry)

    var entry: RequestBook<QueueMessageLease>.Entry {
        switch self {
        case .found(let entry, _, _, _, _), .notFound(let entry): entry
        }
    }
}
