/// Where the agent stores a request's evidence, and the default queue and container names.
public enum ResultLocation {
    /// The queue the module writes and the agent reads.
    public static let defaultRequestsQueue = "iot-edge-object-classification-requests"
    /// Where requests that failed too often are moved.
    public static let defaultDeadLetterQueue = "iot-edge-object-classification-requests-poison"
    /// The container holding images and results.
    public static let defaultResponsesContainer = "iot-edge-object-classification-responses"

    /// `{requestId}/imageWithDetection.jpg`: the annotated JPEG (found only).
    public static func imageBlob(for requestId: String) -> String { "\(requestId)/imageWithDetection.jpg" }
    /// `{requestId}/result.json`: the sealed `VerificationResult` (found and not found).
    public static func resultBlob(for requestId: String) -> String { "\(requestId)/result.json" }

    /// `{requestId}/progress.json`: the latest sealed `VerificationProgress` (overwritten as the score improves).
    public static func verificationProgressBlob(for requestId: String) -> String { "\(requestId)/progress.json" }

    /// `{requestId}/enrolment.json`: the sealed `EnrolmentResult`.
    public static func enrolmentResultBlob(for requestId: String) -> String { "\(requestId)/enrolment.json" }
    /// `{requestId}/progress.json`: the latest sealed `EnrolmentProgress` (overwritten as views are taken).
    public static func enrolmentProgressBlob(for requestId: String) -> String { "\(requestId)/progress.json" }
    /// `{requestId}/thumbnail.jpg`: a small JPEG of the enrolled object (enrolled only).
    public static func thumbnailBlob(for requestId: String) -> String { "\(requestId)/thumbnail.jpg" }
}
