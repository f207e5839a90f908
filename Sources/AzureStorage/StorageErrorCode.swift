/// An Azure Storage error code (`x-ms-error-code`, and the `<Code>` of the error body), or one of
/// the client's own for failures with no answer (`timeout`, `connectionFailed`, …).
///
/// One vocabulary for both ends: the client compares with these and the built-in service answers
/// with them, so a code is never a string literal typed twice. Unknown codes from a real service
/// are kept as they are (`StorageErrorCode(rawValue:)`).
public struct StorageErrorCode: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    // MARK: Answered by the service (Azure's codes)

    public static let authenticationFailed: Self = "AuthenticationFailed"
    public static let authorizationPermissionMismatch: Self = "AuthorizationPermissionMismatch"
    public static let authorizationProtocolMismatch: Self = "AuthorizationProtocolMismatch"
    public static let authorizationSourceIPMismatch: Self = "AuthorizationSourceIPMismatch"
    public static let blobAlreadyExists: Self = "BlobAlreadyExists"
    public static let blobNotFound: Self = "BlobNotFound"
    public static let blockCountExceedsLimit: Self = "BlockCountExceedsLimit"
    public static let conditionNotMet: Self = "ConditionNotMet"
    public static let containerAlreadyExists: Self = "ContainerAlreadyExists"
    public static let containerNotFound: Self = "ContainerNotFound"
    public static let internalError: Self = "InternalError"
    public static let invalidBlockList: Self = "InvalidBlockList"
    public static let invalidHeaderValue: Self = "InvalidHeaderValue"
    public static let invalidInput: Self = "InvalidInput"
    public static let invalidMetadata: Self = "InvalidMetadata"
    public static let invalidQueryParameterValue: Self = "InvalidQueryParameterValue"
    public static let invalidRange: Self = "InvalidRange"
    public static let invalidResourceName: Self = "InvalidResourceName"
    public static let invalidUri: Self = "InvalidUri"
    public static let invalidXmlDocument: Self = "InvalidXmlDocument"
    public static let invalidXmlNodeValue: Self = "InvalidXmlNodeValue"
    public static let md5Mismatch: Self = "Md5Mismatch"
    public static let messageNotFound: Self = "MessageNotFound"
    public static let metadataTooLarge: Self = "MetadataTooLarge"
    public static let missingRequiredHeader: Self = "MissingRequiredHeader"
    public static let missingRequiredQueryParameter: Self = "MissingRequiredQueryParameter"
    public static let notImplemented: Self = "NotImplemented"
    public static let outOfRangeInput: Self = "OutOfRangeInput"
    public static let outOfRangeQueryParameterValue: Self = "OutOfRangeQueryParameterValue"
    public static let popReceiptMismatch: Self = "PopReceiptMismatch"
    public static let publicAccessNotPermitted: Self = "PublicAccessNotPermitted"
    public static let queueAlreadyExists: Self = "QueueAlreadyExists"
    public static let queueNotFound: Self = "QueueNotFound"
    public static let requestBodyTooLarge: Self = "RequestBodyTooLarge"
    public static let serverBusy: Self = "ServerBusy"
    public static let unsupportedHeader: Self = "UnsupportedHeader"
    public static let unsupportedHttpVerb: Self = "UnsupportedHttpVerb"

    public static let authorizationFailure: Self = "AuthorizationFailure"
    public static let invalidAuthenticationInfo: Self = "InvalidAuthenticationInfo"
    /// EdgeFactor's storage service only: plain HTTP sent to its HTTPS port.
    public static let plainHTTPOnHTTPSPort: Self = "PlainHTTPOnHTTPSPort"
    // MARK: The client's own (status 0: no answer, or an answer it could not use)

    public static let cancelled: Self = "Cancelled"
    public static let connectionFailed: Self = "ConnectionFailed"
    public static let downloadFailed: Self = "DownloadFailed"
    public static let fileError: Self = "FileError"
    public static let incompleteDownload: Self = "IncompleteDownload"
    public static let invalidResponse: Self = "InvalidResponse"
    public static let messageDecodingFailed: Self = "MessageDecodingFailed"
    public static let responseTooLarge: Self = "ResponseTooLarge"
    public static let tlsFailed: Self = "TLSFailed"
    public static let timeout: Self = "Timeout"
}
