/// A storage operation that failed: the service's answer (status and `x-ms-error-code`), or a
/// transport failure (`status == 0`). `message` says what went wrong and, where known, how to fix it.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    /// HTTP status from the service; 0 when no response arrived (connection refused, timeout…).
    public var status: Int
    /// The service's error code (`x-ms-error-code`), e.g. `QueueNotFound`, `BlobAlreadyExists`,
    /// `AuthenticationFailed`; for transport failures `Timeout` or `ConnectionFailed`.
    public var code: StorageErrorCode?
    /// What went wrong and how to fix it.
    public var message: String
    /// The service's `x-ms-request-id`, for correlating with server logs.
    public var requestId: String?

    public init(status: Int, code: StorageErrorCode?, message: String, requestId: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.requestId = requestId
    }

    public var description: String {
        var text = status == 0 ? "storage request failed" : "storage service answered \(status)"
        if let code { text += " \(code)" }
        text += ": \(message)"
        if let requestId { text += " (request id \(requestId))" }
        return text
    }

    /// True for a 404 whose code says the resource is missing.
    public var isNotFound: Bool { status == 404 }

    /// How to fix the common errors, appended to the service's message.
    static func hint(for code: StorageErrorCode?) -> String? {
        switch code {
        case .queueNotFound: "Create the queue first (QueueClient.create()) or check its name."
        case .containerNotFound: "Create the container first (BlobContainerClient.create()) or check its name."
        case .blobNotFound: "Check the blob name, or upload it first."
        case .blobAlreadyExists: "Pass overwrite: true to replace it."
        case .authenticationFailed, .authorizationFailure, .invalidAuthenticationInfo:
            "Check AccountName/AccountKey (or the SAS) in the connection string, and that this machine's clock is right."
        case .authorizationPermissionMismatch: "The SAS does not grant this operation; create one with the needed permissions."
        case .popReceiptMismatch: "The message was received again since; use the pop receipt of the latest receive or update."
        case .messageNotFound: "The message was already deleted or has expired."
        case .requestBodyTooLarge: "Queue messages are limited to 64 KiB; store large payloads in a blob and send its name."
        case .conditionNotMet: "The resource changed since it was read; read it again and retry."
        case .plainHTTPOnHTTPSPort: "The endpoint serves HTTPS: write https:// endpoints in the connection string (DefaultEndpointsProtocol=https; BlobEndpoint=https://…; QueueEndpoint=https://…)."
        default: nil
        }
    }
}
