public import Foundation
import NIOHTTP1

/// A blob's system properties and user metadata.
public struct BlobProperties: Sendable, Hashable {
    /// Size in bytes.
    public var contentLength: Int
    public var contentType: String
    public var contentEncoding: String?
    public var contentLanguage: String?
    public var contentDisposition: String?
    public var cacheControl: String?
    /// MD5 of the whole content, if the service stored one.
    public var contentMD5: Data?
    /// Quoted entity tag; changes on every write.
    public var eTag: String
    public var lastModified: Date
    public var createdOn: Date?
    /// User metadata (`x-ms-meta-*`), names as the service returns them.
    public var metadata: [String: String]

    public init(
        contentLength: Int, contentType: String, contentEncoding: String? = nil, contentLanguage: String? = nil,
        contentDisposition: String? = nil, cacheControl: String? = nil, contentMD5: Data? = nil,
        eTag: String, lastModified: Date, createdOn: Date? = nil, metadata: [String: String] = [:]
    ) {
        self.contentLength = contentLength
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.contentLanguage = contentLanguage
        self.contentDisposition = contentDisposition
        self.cacheControl = cacheControl
        self.contentMD5 = contentMD5
        self.eTag = eTag
        self.lastModified = lastModified
        self.createdOn = createdOn
        self.metadata = metadata
    }

    /// From Get Blob / Get Blob Properties response headers. For ranged reads the total size is
    /// taken from `Content-Range`.
    init(headers: HTTPHeaders) {
        var length = headers.first(name: "content-length").flatMap { Int($0) } ?? 0
        if let range = headers.first(name: "content-range"), let slash = range.lastIndex(of: "/"),
           let total = Int(range[range.index(after: slash)...]) {
            length = total
        }
        var metadata: [String: String] = [:]
        for (name, value) in headers where name.lowercased().hasPrefix("x-ms-meta-") {
            metadata[String(name.dropFirst("x-ms-meta-".count))] = value
        }
        let md5 = headers.first(name: "x-ms-blob-content-md5") ?? headers.first(name: "content-md5")
        self.init(
            contentLength: length,
            contentType: headers.first(name: "content-type") ?? "application/octet-stream",
            contentEncoding: headers.first(name: "content-encoding"),
            contentLanguage: headers.first(name: "content-language"),
            contentDisposition: headers.first(name: "content-disposition"),
            cacheControl: headers.first(name: "cache-control"),
            contentMD5: md5.flatMap { Data(base64Encoded: $0) },
            eTag: headers.first(name: "etag") ?? "",
            lastModified: headers.first(name: "last-modified").flatMap(StorageDate.parseRFC1123) ?? Date(timeIntervalSince1970: 0),
            createdOn: headers.first(name: "x-ms-creation-time").flatMap(StorageDate.parseRFC1123),
            metadata: metadata
        )
    }
}

/// One entry of a blob listing: a blob, or (with a delimiter) a virtual directory prefix.
public struct BlobItem: Sendable, Hashable {
    /// The blob name, or the prefix ending in the delimiter.
    public var name: String
    /// `true` for a virtual directory (`BlobPrefix`); then `properties` is `nil`.
    public var isPrefix: Bool
    public var properties: BlobProperties?

    public init(name: String, isPrefix: Bool, properties: BlobProperties?) {
        self.name = name
        self.isPrefix = isPrefix
        self.properties = properties
    }
}

/// One page of a blob listing.
public struct BlobListPage: Sendable, Hashable {
    /// Blobs and prefixes of this page, in name order.
    public var items: [BlobItem]
    /// Marker of the next page; `nil` on the last page.
    public var nextMarker: String?
}
