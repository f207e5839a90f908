import AzureStorage
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Builders for the service's responses.
enum StorageResponses {
    /// The REST version the service answers with (it accepts any request version).
    static let serviceVersion = "2024-11-04"

    static func name(_ text: String) -> HTTPField.Name {
        // Every name used here is a valid token; the fallback is never taken.
        HTTPField.Name(text) ?? .contentType
    }

    static func make(_ status: Int, headers: [(String, String)] = [], body: ResponseBody = ResponseBody()) -> Response {
        var fields = HTTPFields()
        for (key, value) in headers { fields.append(HTTPField(name: name(key), value: value)) }
        return Response(status: HTTPResponse.Status(code: status), headers: fields, body: body)
    }

    static func xml(_ status: Int, _ writer: StorageXMLWriter, headers: [(String, String)] = []) -> Response {
        let buffer = ByteBuffer(string: writer.text)
        return make(status, headers: headers + [("Content-Type", "application/xml")], body: ResponseBody(byteBuffer: buffer))
    }

    /// 304 Not Modified, with `x-ms-error-code: ConditionNotMet` as Azure sends it (the SDKs
    /// raise their "modified" error from that code).
    static func notModified(headers: [(String, String)]) -> Response {
        make(304, headers: headers + [("x-ms-error-code", "ConditionNotMet")])
    }

    /// An XML body already serialised (e.g. ``StoredAccessPolicy/xml(_:)``).
    static func xmlText(_ status: Int, _ text: String, headers: [(String, String)] = []) -> Response {
        make(status, headers: headers + [("Content-Type", "application/xml")], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The Azure error response: `x-ms-error-code` plus an XML body (no body for HEAD).
    static func error(_ error: StorageServiceError, requestId: String, head: Bool) -> Response {
        var headers = error.headers + [("x-ms-error-code", error.code.rawValue)]
        guard !head else { return make(error.status, headers: headers) }
        var writer = StorageXMLWriter()
        writer.open("Error")
        writer.element("Code", error.code.rawValue)
        writer.element("Message", "\(error.message)\nRequestId:\(requestId)\nTime:\(StorageDate.iso8601(Date()))")
        writer.close("Error")
        headers.append(("Content-Type", "application/xml"))
        return make(error.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: writer.text)))
    }

    static func metadataHeaders(_ metadata: [(String, String)]) -> [(String, String)] {
        metadata.map { ("x-ms-meta-\($0.0)", $0.1) }
    }

    static func date(_ milliseconds: Int64) -> String {
        StorageDate.rfc1123(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}

/// Reads a whole request body up to `limit` bytes, or throws 413.
func collectBody(_ request: Request, limit: Int) async throws -> ByteBuffer {
    if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
        throw StorageServiceError(413, .requestBodyTooLarge, "The request body is larger than the \(limit)-byte limit.")
    }
    var collected = ByteBuffer()
    for try await chunk in request.body {
        guard collected.readableBytes + chunk.readableBytes <= limit else {
            throw StorageServiceError(413, .requestBodyTooLarge, "The request body is larger than the \(limit)-byte limit.")
        }
        var chunk = chunk
        collected.writeBuffer(&chunk)
    }
    return collected
}
