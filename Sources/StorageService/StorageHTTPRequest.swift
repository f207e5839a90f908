import AzureStorage
import EdgeFactorSupport
import Foundation
import HTTPTypes
import Hummingbird

/// The parts of an incoming request the storage handlers need, parsed once: raw path and query
/// (for signatures), decoded path segments and query parameters, headers by lower-case name.
struct StorageHTTPRequest: Sendable {
    let method: String
    /// Path exactly as sent (percent-encoded).
    let rawPath: String
    /// Query exactly as sent (without `?`), or `nil`.
    let rawQuery: String?
    /// Query parameters, names lower-cased, values decoded (first value wins).
    let query: [String: String]
    /// The account (first path segment), decoded.
    let account: String
    /// Decoded path after the account: e.g. `["jobs", "messages", "id"]` (queue) or container
    /// and the rest of the path as the blob name (blob).
    let segments: [String]
    let request: Request
    /// The client's IPv4 address (for SAS `sip`), if known.
    let clientIPv4: UInt32?

    init(_ request: Request, clientIPv4: UInt32? = nil) throws(StorageServiceError) {
        self.request = request
        self.clientIPv4 = clientIPv4
        method = request.method.rawValue
        let target = request.head.path ?? "/"
        if let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            rawPath = String(target[..<mark])
            rawQuery = String(target[target.utf8.index(after: mark)...])
        } else {
            rawPath = target
            rawQuery = nil
        }
        var query: [String: String] = [:]
        for pair in (rawQuery ?? "")[...].asciiSplit(UInt8(ascii: "&")) {
            let parts = pair.asciiSplit(UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentEncoding.decode(parts[0]),
                  let value = parts.count > 1 ? PercentEncoding.decode(parts[1]) : ""
            else {
                throw StorageServiceError(400, .invalidQueryParameterValue, "The query string contains an invalid percent-encoding.")
            }
            let key = name.lowercased()
            if query[key] == nil { query[key] = value }
        }
        self.query = query
        var decoded: [String] = []
        for segment in rawPath[...].asciiSplit(UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst() {
            guard let text = PercentEncoding.decode(segment) else {
                throw StorageServiceError(400, .invalidUri, "The request path contains an invalid percent-encoding or is not UTF-8.")
            }
            decoded.append(text)
        }
        guard let first = decoded.first, !first.isEmpty else {
            throw StorageServiceError(400, .invalidUri, "The request path must start with the account name, e.g. /devstoreaccount1/….")
        }
        account = first
        segments = Array(decoded.dropFirst())
    }

    /// A header value by name (case-insensitive).
    func header(_ name: String) -> String? {
        guard let field = Self.signedHeaderNames[name] ?? HTTPField.Name(name) else { return nil }
        return request.headers[field]
    }

    /// The names every Shared Key check looks up, validated once instead of per request.
    private static let signedHeaderNames: [String: HTTPField.Name] = Dictionary(
        uniqueKeysWithValues: (SharedKeyStringToSign.standardHeaders + ["authorization", "x-ms-date"]).compactMap { name in
            HTTPField.Name(name).map { (name, $0) }
        })

    /// Every `x-ms-*` header, names lower-cased.
    var msHeaders: [(name: String, value: String)] {
        request.headers.compactMap { field in
            let name = field.name.canonicalName
            return name.hasPrefix("x-ms-") ? (name: name, value: field.value) : nil
        }
    }

    /// `x-ms-meta-*` headers as (name, value), name case as sent.
    var metadata: [(String, String)] {
        request.headers.compactMap { field in
            let name = field.name.rawName
            guard name.lowercased().hasPrefix("x-ms-meta-") else { return nil }
            return (String(name.dropFirst("x-ms-meta-".count)), field.value)
        }
    }

    /// An integer query parameter within `range`, or `defaultValue` if absent.
    func integer(_ name: String, in range: ClosedRange<Int64>, default defaultValue: Int64?) throws(StorageServiceError) -> Int64? {
        guard let text = query[name] else { return defaultValue }
        guard let value = Int64(text) else { throw .invalidQuery(name, text, "not an integer") }
        guard range.contains(value) else { throw .outOfRange(name, text, "\(range.lowerBound)…\(range.upperBound)") }
        return value
    }
}
