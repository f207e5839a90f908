import Foundation

/// What one storage operation acts on: the headers and query parameters the built-in service
/// serves for it (derived from Azure's REST reference, minus what is not implemented). A request
/// that carries anything else is refused, never served as if the rest had not been sent: a
/// client relying on a condition, a checksum or a copy must not believe it happened.
///
/// Checked are every `x-ms-*` header, the conditional headers, `Range` and `Content-MD5`, and
/// every query parameter. Plain transport headers (`Host`, `User-Agent`, `Accept`,
/// `Content-Type`, `Content-Length`, `Authorization`, `Date`, …) are not.
struct OperationSurface: Sendable {
    /// The operation's name in Azure's REST reference, e.g. `Put Blob`.
    let name: String
    /// The name as a metrics label and in the access log, e.g. `put-blob`.
    let label: String
    /// Checked headers served, lower-case (beyond ``commonHeaders``).
    let headers: Set<String>
    /// Query parameters served (beyond ``commonQuery``).
    let query: Set<String>
    /// Whether `x-ms-meta-*` headers are served (operations that set metadata).
    let metadata: Bool

    init(_ name: String, headers: Set<String> = [], query: Set<String> = [], metadata: Bool = false) {
        self.name = name
        self.label = name.lowercased().replacingOccurrences(of: " ", with: "-")
        self.headers = headers
        self.query = query
        self.metadata = metadata
    }

    /// Headers every operation serves (the version is accepted, and answered with ours).
    static let commonHeaders: Set<String> = ["x-ms-version", "x-ms-date", "x-ms-client-request-id", "x-ms-return-client-request-id"]
    /// Query parameters every operation serves: the routing ones and the server timeout (every
    /// answer comes well within any timeout).
    static let commonQuery: Set<String> = ["comp", "restype", "timeout"]
    /// The parameters of a service SAS, accepted when the request carries one (`sig`); the
    /// authenticator refuses those it does not support.
    static let sasQuery: Set<String> = [
        "sv", "sr", "sp", "st", "se", "sip", "spr", "si", "sig", "ses", "rscc", "rscd", "rsce", "rscl", "rsct",
        "ss", "srt", "skoid", "sktid", "skt", "ske", "sks", "skv", "saoid", "suoid", "scid", "sdd", "skdutid", "sduoid",
    ]
    static let conditionalHeaders: Set<String> = ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since"]
    /// Standard headers that change what an operation means, so that they are checked too.
    static let meaningfulHeaders: Set<String> = conditionalHeaders.union(["range", "content-md5"])

    /// Throws unless every checked header and query parameter of `request` is served: a
    /// conditional header Azure does not accept on this operation is 400 `UnsupportedHeader`
    /// (as on Azure), anything else 501 `NotImplemented` naming it.
    func check(_ request: StorageHTTPRequest) throws(StorageServiceError) {
        for field in request.request.headers {
            let name = field.name.canonicalName
            guard name.hasPrefix("x-ms-") || Self.meaningfulHeaders.contains(name) else { continue }
            // A bare `x-ms-meta` (no name) is what azure-storage-queue sends beside the real
            // `x-ms-meta-*` headers (the dict as text); Azure ignores it, it names no metadata.
            if Self.commonHeaders.contains(name) || headers.contains(name) || (metadata && name.hasPrefix("x-ms-meta")) { continue }
            if Self.conditionalHeaders.contains(name) {
                throw StorageServiceError(
                    400, .unsupportedHeader,
                    "One of the HTTP headers specified in the request is not supported: \(field.name.rawName) on \(self.name). Send the request without it."
                )
            }
            throw .notImplemented("the \(name) header on \(self.name)\(Self.feature(name)); it would be ignored, so the request is refused. Send it without this header")
        }
        let sas = request.query["sig"] != nil
        for key in request.query.keys.sorted() {
            if Self.commonQuery.contains(key) || query.contains(key) || (sas && Self.sasQuery.contains(key)) { continue }
            throw .notImplemented("the query parameter '\(key.prefix(64))' on \(self.name)\(Self.feature(key)); it would be ignored, so the request is refused. Send it without this parameter")
        }
    }

    /// The feature a header or parameter belongs to, for the error message.
    static func feature(_ name: String) -> String {
        let families: [(String, String)] = [
            ("x-ms-copy-source", "copying from a URL: Put Blob From URL, Put Block From URL, Copy Blob"),
            ("x-ms-source-", "copying from a URL"),
            ("x-ms-access-tier", "access tiers"),
            ("x-ms-rehydrate", "access tiers"),
            ("x-ms-if-tags", "blob index tag conditions"),
            ("x-ms-tags", "blob index tags"),
            ("x-ms-lease", "leases"),
            ("x-ms-proposed-lease", "leases"),
            ("x-ms-encryption", "customer-provided keys and encryption scopes"),
            ("x-ms-default-encryption", "encryption scopes"),
            ("x-ms-deny-encryption", "encryption scopes"),
            ("x-ms-immutability", "immutability policies"),
            ("x-ms-legal-hold", "legal holds"),
            ("x-ms-content-crc64", "CRC64 checksums"),
            ("x-ms-range-get-content-crc64", "CRC64 checksums"),
            ("x-ms-structured", "structured-message checksums"),
            ("x-ms-delete-snapshots", "snapshots"),
            ("snapshot", "snapshots"),
            ("versionid", "blob versions"),
            ("x-ms-blob-sequence-number", "page blobs"),
            ("x-ms-blob-content-length", "page blobs"),
            ("x-ms-expiry", "blob expiry"),
            ("x-ms-blob-condition", "append blobs"),
        ]
        guard let family = families.first(where: { name.hasPrefix($0.0) }) else { return "" }
        return " (\(family.1))"
    }
}
