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
}
