import AzureStorage
import Foundation

/// The conditional headers of a blob request (`If-Match`, `If-None-Match`, `If-Modified-Since`,
/// `If-Unmodified-Since`) and Azure's rules for them.
struct BlobConditions: Sendable {
    var ifMatch: [String]?
    var ifNoneMatch: [String]?
    var ifModifiedSince: Date?
    var ifUnmodifiedSince: Date?

    init(_ request: StorageHTTPRequest) throws(StorageServiceError) {
        func tags(_ name: String) -> [String]? {
            request.header(name).map { value in
                value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
        }
        func date(_ name: String) throws(StorageServiceError) -> Date? {
            guard let text = request.header(name) else { return nil }
            guard let date = StorageDate.parseRFC1123(text) else { throw .invalidHeader(name, "not an RFC 1123 date") }
            return date
        }
        ifMatch = tags("if-match")
        ifNoneMatch = tags("if-none-match")
        ifModifiedSince = try date("if-modified-since")
        ifUnmodifiedSince = try date("if-unmodified-since")
    }

    var isEmpty: Bool { ifMatch == nil && ifNoneMatch == nil && ifModifiedSince == nil && ifUnmodifiedSince == nil }

    private static func isWildcard(_ tag: String) -> Bool { tag == "*" || tag == "\"*\"" }

    private static func matches(_ tags: [String], _ etag: String) -> Bool {
        tags.contains { isWildcard($0) || $0 == etag }
    }

    private static func seconds(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds / 1000))
    }

    /// For writes (Put Blob, Put Block List, Delete, Set Metadata/Properties): 409
    /// `BlobAlreadyExists` for `If-None-Match: *` on an existing blob, otherwise 412.
    func checkWrite(_ existing: StoredBlob?) throws(StorageServiceError) {
        if let ifNoneMatch, let existing {
            if ifNoneMatch.contains(where: Self.isWildcard) {
                throw StorageServiceError(409, .blobAlreadyExists, "The specified blob already exists.")
            }
            if Self.matches(ifNoneMatch, existing.etag) { throw .conditionNotMet() }
        }
        if let ifMatch {
            guard let existing, Self.matches(ifMatch, existing.etag) else { throw .conditionNotMet() }
        }
        if let ifModifiedSince {
            guard let existing, Self.seconds(existing.modifiedMs) > ifModifiedSince else { throw .conditionNotMet() }
        }
        if let ifUnmodifiedSince, let existing, Self.seconds(existing.modifiedMs) > ifUnmodifiedSince {
            throw .conditionNotMet()
        }
    }

    /// For container writes (Delete Container, Set Container Metadata, Set Container ACL): 412
    /// unless modified after `If-Modified-Since` and not after `If-Unmodified-Since`. The
    /// operation's surface has already refused the ETag conditions Azure does not accept there.
    func checkContainer(_ container: StoredContainer) throws(StorageServiceError) {
        let modified = Self.seconds(container.modifiedMs)
        if let ifModifiedSince, modified <= ifModifiedSince { throw .conditionNotMet() }
        if let ifUnmodifiedSince, modified > ifUnmodifiedSince { throw .conditionNotMet() }
    }

    /// For reads (Get Blob, Get Blob Properties): 412 for failed `If-Match`/`If-Unmodified-Since`;
    /// returns `true` (answer 304 Not Modified) for `If-None-Match`/`If-Modified-Since`.
    func checkRead(_ blob: StoredBlob) throws(StorageServiceError) -> Bool {
        if let ifMatch, !Self.matches(ifMatch, blob.etag) { throw .conditionNotMet() }
        if let ifUnmodifiedSince, Self.seconds(blob.modifiedMs) > ifUnmodifiedSince { throw .conditionNotMet() }
        if let ifNoneMatch, Self.matches(ifNoneMatch, blob.etag) { return true }
        if let ifModifiedSince, Self.seconds(blob.modifiedMs) <= ifModifiedSince { return true }
        return false
    }
}
