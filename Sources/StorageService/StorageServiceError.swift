import AzureStorage
import Foundation

/// An error the service answers with: HTTP status, Azure error code (`x-ms-error-code`) and a
/// message that says what was wrong and how to fix it.
struct StorageServiceError: Error, Sendable {
    var status: Int
    var code: StorageErrorCode
    var message: String
    /// Extra response headers (e.g. `Content-Range` on 416).
    var headers: [(String, String)] = []

    init(_ status: Int, _ code: StorageErrorCode, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func authenticationFailed(_ detail: String) -> Self {
        .init(403, .authenticationFailed, "Server failed to authenticate the request. \(detail)")
    }
    static func queueNotFound() -> Self { .init(404, .queueNotFound, "The specified queue does not exist.") }
    static func containerNotFound() -> Self { .init(404, .containerNotFound, "The specified container does not exist.") }
    static func blobNotFound() -> Self { .init(404, .blobNotFound, "The specified blob does not exist.") }
    static func conditionNotMet() -> Self {
        .init(412, .conditionNotMet, "The condition specified using HTTP conditional header(s) is not met.")
    }
    static func md5Mismatch(_ header: String, given: [UInt8], computed: [UInt8]) -> Self {
        .init(
            400, .md5Mismatch,
            "The MD5 value specified in the request (\(header): \(Data(given).base64EncodedString())) did not match the MD5 value calculated by the server (\(Data(computed).base64EncodedString())). Check that the body was sent whole, or drop the header."
        )
    }
    static func invalidQuery(_ name: String, _ value: String, _ why: String) -> Self {
        .init(400, .invalidQueryParameterValue, "Value '\(value)' for query parameter '\(name)' is not valid: \(why).")
    }
    static func outOfRange(_ name: String, _ value: String, _ range: String) -> Self {
        .init(400, .outOfRangeQueryParameterValue, "Value '\(value)' for query parameter '\(name)' is outside \(range).")
    }
    static func invalidHeader(_ name: String, _ why: String) -> Self {
        .init(400, .invalidHeaderValue, "The value for header '\(name)' is not valid: \(why).")
    }
    static func invalidXML(_ detail: String) -> Self {
        .init(400, .invalidXmlDocument, "XML specified is not syntactically valid: \(detail).")
    }
    /// 405 for a method the addressed resource and `comp` do not serve.
    static func unsupportedVerb(_ method: String, _ what: String, use: String) -> Self {
        .init(405, .unsupportedHttpVerb, "The resource doesn't support the HTTP verb \(method.prefix(16)) for \(what); use \(use).")
    }
    /// A `comp` value the resource does not serve: 501 if Azure defines it there (`known`),
    /// otherwise 400 as on Azure.
    static func unsupportedComp(_ comp: String, on resource: String, known: Set<String>) -> Self {
        if known.contains(comp) {
            return .notImplemented("comp=\(comp) on \(resource)")
        }
        return .invalidQuery("comp", String(comp.prefix(64)), "\(resource) has no such operation")
    }
    static func notImplemented(_ what: String) -> Self {
        .init(501, .notImplemented, "The built-in storage service does not implement \(what).")
    }
}
