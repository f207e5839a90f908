import AzureStorage
import Crypto
import Foundation
import Hummingbird
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension BlobHandler {
    // MARK: Get Blob

    /// Get Blob (GET) and Get Blob Properties (HEAD); `overrides` are the response headers a SAS sets.
    func getBlob(_ request: StorageHTTPRequest, container: String, name: String, overrides: ResponseOverrides) async throws -> Response {
        let conditions = try BlobConditions(request)
        let blob = try await core.blobs.blob(account: request.account, container: container, name: name)
        var headers: [(String, String)] = [
            ("ETag", blob.etag), ("Last-Modified", StorageResponses.date(blob.modifiedMs)),
        ]
        if try conditions.checkRead(blob) {
            return StorageResponses.notModified(headers: headers)
        }
        headers += [
            ("Content-Type", blob.contentType), ("Accept-Ranges", "bytes"), ("x-ms-blob-type", "BlockBlob"),
            ("x-ms-creation-time", StorageResponses.date(blob.createdMs)), ("x-ms-lease-state", "available"),
            ("x-ms-lease-status", "unlocked"), ("x-ms-server-encrypted", "true"),
        ]
        for (header, value) in [
            ("Content-Encoding", blob.contentEncoding), ("Content-Language", blob.contentLanguage),
            ("Content-Disposition", blob.contentDisposition), ("Cache-Control", blob.cacheControl),
        ] {
            if let value { headers.append((header, value)) }
        }
        headers += StorageResponses.metadataHeaders(blob.metadata)
        headers = overrides.apply(to: headers)
        let md5 = blob.contentMD5.map { Data($0).base64EncodedString() }
        let rangeMD5 = request.header("x-ms-range-get-content-md5")?.lowercased() == "true"

        var start = 0
        var end = blob.size - 1
        var status = 200
        if let rangeText = request.header("x-ms-range") ?? request.header("range") {
            guard let range = Self.parseRange(rangeText) else { throw StorageServiceError.invalidHeader("x-ms-range", "use bytes=start-end or bytes=start-") }
            guard range.start < blob.size else {
                var error = StorageServiceError(416, .invalidRange, "The range specified is invalid for the current size of the resource.")
                error.headers = [("Content-Range", "bytes */\(blob.size)")]
                throw error
            }
            start = range.start
            end = min(range.end ?? (blob.size - 1), blob.size - 1)
            status = 206
            headers.append(("Content-Range", "bytes \(start)-\(end)/\(blob.size)"))
            if let md5 { headers.append(("x-ms-blob-content-md5", md5)) }
            // Azure judges the range asked for, before it is clamped to the blob's size.
            if rangeMD5, (range.end ?? end) - start + 1 > Self.maximumRangeMD5 {
                throw StorageServiceError(400, .outOfRangeInput, "x-ms-range-get-content-md5 needs a range of at most 4 MiB; ask for a smaller range.")
            }
        } else if rangeMD5 {
            throw StorageServiceError(400, .invalidHeaderValue, "x-ms-range-get-content-md5 needs an x-ms-range of at most 4 MiB.")
        } else if let md5 {
            headers.append(("Content-MD5", md5))
        }
        let length = max(0, end - start + 1)
        headers.append(("Content-Length", String(length)))
        if request.method == "HEAD" || length == 0 {
            return StorageResponses.make(status, headers: headers)
        }
        guard let fd = core.files.openForReading(blob.file) else {
            // Replaced between the lookup and the open: the client retries and sees the new blob.
            throw StorageServiceError(503, .serverBusy, "The blob changed while it was being read; retry.")
        }
        let file = OpenFile(fd)
        if length <= 1 << 20 || rangeMD5 {
            let buffer = try withExtendedLifetime(file) { try BlobFiles.read(file.fd, offset: start, length: length) }
            guard buffer.readableBytes == length else {
                throw StorageServiceError(500, .internalError, "The blob file is shorter than its recorded size; the data directory may be damaged.")
            }
            if rangeMD5 {
                let digest = buffer.withUnsafeReadableBytes { Data(Insecure.MD5.hash(data: $0)) }
                headers.append(("Content-MD5", digest.base64EncodedString()))
            }
            return StorageResponses.make(status, headers: headers, body: ResponseBody(byteBuffer: buffer))
        }
        let first = start
        let body = ResponseBody(contentLength: length) { writer in
            var offset = first
            let stop = first + length
            while offset < stop {
                let chunk = try BlobFiles.read(file.fd, offset: offset, length: min(256 * 1024, stop - offset))
                guard chunk.readableBytes > 0 else { throw StorageServiceError(500, .internalError, "The blob file ended early.") }
                offset += chunk.readableBytes
                try await writer.write(chunk)
            }
            try await writer.finish(nil)
        }
        return StorageResponses.make(status, headers: headers, body: body)
    }

    /// The largest range Azure returns the MD5 of (`x-ms-range-get-content-md5`).
    static let maximumRangeMD5 = 4 * 1024 * 1024

    /// `bytes=start-end` or `bytes=start-`.
    static func parseRange(_ text: String) -> (start: Int, end: Int?)? {
        guard text.hasPrefix("bytes=") else { return nil }
        let spec = text.dropFirst(6)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Int(parts[0]), start >= 0 else { return nil }
        if parts[1].isEmpty { return (start, nil) }
        guard let end = Int(parts[1]), end >= start else { return nil }
        return (start, end)
    }
}

/// Closes a file descriptor when the last reference goes (the response body may outlive the handler).
final class OpenFile: Sendable {
    let fd: Int32
    init(_ fd: Int32) { self.fd = fd }
    deinit { close(fd) }
}
