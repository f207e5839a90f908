import AzureStorage
import Foundation
import Hummingbird
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension BlobHandler {
    func blob(_ request: StorageHTTPRequest, container: String, name: String) async throws -> Response {
        let resource = SASResource(service: .blob, container: container, blob: name)
        let comp = request.query["comp"]
        switch (request.method, comp) {
        case ("PUT", nil):
            // Azure: 'c' writes a new blob only; overwriting an existing one needs 'w'.
            let grant = try core.authenticator.authenticate(request, resource: resource, anyOf: [.write, .create])
            return try await putBlob(request, container: container, name: name, createOnly: !grant.allows(.write))
        case ("PUT", "block"):
            try core.authenticator.authenticate(request, resource: resource, anyOf: [.write, .create])
            return try await putBlock(request, container: container, name: name)
        case ("PUT", "blocklist"):
            let grant = try core.authenticator.authenticate(request, resource: resource, anyOf: [.write, .create])
            return try await putBlockList(request, container: container, name: name, createOnly: !grant.allows(.write))
        case ("PUT", "metadata"), ("PUT", "properties"):
            try core.authenticator.authenticate(request, resource: resource, permission: .write)
            return try await setProperties(request, container: container, name: name, metadataOnly: comp == "metadata")
        case ("GET", nil), ("HEAD", nil):
            try core.authenticator.authenticate(request, resource: resource, permission: .read)
            return try await getBlob(request, container: container, name: name)
        case ("GET", "metadata"), ("HEAD", "metadata"):
            try core.authenticator.authenticate(request, resource: resource, permission: .read)
            let blob = try await core.blobs.blob(account: request.account, container: container, name: name)
            return StorageResponses.make(200, headers: [("ETag", blob.etag), ("Last-Modified", StorageResponses.date(blob.modifiedMs))] + StorageResponses.metadataHeaders(blob.metadata))
        case ("DELETE", nil):
            try core.authenticator.authenticate(request, resource: resource, permission: .delete)
            if request.query["snapshot"] != nil || request.query["versionid"] != nil {
                throw StorageServiceError.notImplemented("snapshots and versions")
            }
            let conditions = try BlobConditions(request)
            let file = try await core.blobs.deleteBlob(account: request.account, container: container, name: name) { try conditions.checkWrite($0) }
            core.files.remove([file])
            return StorageResponses.make(202, headers: [("x-ms-delete-type-permanent", "true")])
        default:
            throw StorageServiceError.notImplemented("\(request.method) on a blob with comp=\(comp ?? "") (leases, snapshots, tags, page and append blobs)")
        }
    }

    /// Properties a write sets, from `x-ms-blob-*` (falling back to the standard headers for Put Blob).
    private func blobHeaders(_ request: StorageHTTPRequest, fallbackToStandard: Bool) throws(StorageServiceError) -> BlobHeaders {
        func value(_ name: String) -> String? {
            request.header("x-ms-blob-\(name)") ?? (fallbackToStandard ? request.header(name) : nil)
        }
        var headers = BlobHeaders()
        headers.contentType = value("content-type")
        headers.contentEncoding = value("content-encoding")
        headers.contentLanguage = value("content-language")
        headers.contentDisposition = value("content-disposition")
        headers.cacheControl = value("cache-control")
        if let md5 = request.header("x-ms-blob-content-md5") {
            guard let data = Data(base64Encoded: md5), data.count == 16 else { throw .invalidHeader("x-ms-blob-content-md5", "not a base64 MD5") }
            headers.contentMD5 = Array(data)
        }
        headers.metadata = request.metadata
        try ResourceNames.validateMetadata(headers.metadata)
        return headers
    }

    private func declaredLength(_ request: StorageHTTPRequest, limit: Int) throws(StorageServiceError) -> Int? {
        guard let text = request.header("content-length") else { return nil }
        guard let length = Int(text), length >= 0 else { throw .invalidHeader("Content-Length", "not a byte count") }
        guard length <= limit else {
            throw StorageServiceError(413, "RequestBodyTooLarge", "The request body is \(length) bytes; this service accepts at most \(limit).")
        }
        return length
    }

    /// The write check of a Put Blob or Put Block List: the request's conditions, and for a SAS
    /// that grants only 'c', that there is no blob to overwrite (Azure answers 403).
    private func writeCheck(_ conditions: BlobConditions, createOnly: Bool) -> @Sendable (StoredBlob?) throws -> Void {
        { existing in
            if createOnly, existing != nil {
                throw StorageServiceError(
                    403, "AuthorizationPermissionMismatch",
                    "This request is not authorized to perform this operation using this permission: the blob exists, and a SAS with 'c' but not 'w' creates new blobs only."
                )
            }
            try conditions.checkWrite(existing)
        }
    }

    private func putBlob(_ request: StorageHTTPRequest, container: String, name: String, createOnly: Bool) async throws -> Response {
        guard let type = request.header("x-ms-blob-type") else {
            throw StorageServiceError(400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified: x-ms-blob-type.")
        }
        guard type == "BlockBlob" else {
            throw StorageServiceError.notImplemented("\(type.prefix(32)) blobs (only BlockBlob)")
        }
        let limit = min(core.configuration.maximumBlobSize, core.configuration.maximumRequestBodySize)
        let declared = try declaredLength(request, limit: limit)
        var headers = try blobHeaders(request, fallbackToStandard: true)
        let conditions = try BlobConditions(request)
        let givenMD5 = try request.header("content-md5").map { text throws(StorageServiceError) in
            guard let data = Data(base64Encoded: text), data.count == 16 else { throw .invalidHeader("Content-MD5", "not a base64 MD5") }
            return Array(data)
        }
        let check = writeCheck(conditions, createOnly: createOnly)
        // Fail before reading a large body when the answer is already known.
        _ = try await core.blobs.container(account: request.account, name: container)
        if !conditions.isEmpty || createOnly {
            let existing = try? await core.blobs.blob(account: request.account, container: container, name: name)
            try check(existing)
        }
        let file = try await core.files.write(request.request.body, limit: limit)
        do {
            if let declared, declared != file.size {
                throw StorageServiceError(400, "InvalidInput", "The body has \(file.size) bytes but Content-Length says \(declared).")
            }
            if let givenMD5, givenMD5 != file.md5 {
                throw StorageServiceError(400, "Md5Mismatch", "The MD5 value specified in the request did not match the MD5 value calculated by the server.")
            }
            if headers.contentMD5 == nil { headers.contentMD5 = file.md5 }
            let blob = StoredBlob(name: name, file: file, headers: headers, etag: BlobStore.newETag(), now: nowMilliseconds())
            let (stored, obsolete) = try await core.blobs.putBlob(account: request.account, container: container, blob: blob, condition: check)
            core.files.remove(obsolete)
            return StorageResponses.make(201, headers: [
                ("ETag", stored.etag), ("Last-Modified", StorageResponses.date(stored.modifiedMs)),
                ("Content-MD5", Data(file.md5).base64EncodedString()), ("x-ms-request-server-encrypted", "true"),
            ])
        } catch {
            core.files.remove([file.id])
            throw error
        }
    }

    private func putBlock(_ request: StorageHTTPRequest, container: String, name: String) async throws -> Response {
        guard let blockId = request.query["blockid"], let decoded = Data(base64Encoded: blockId), !decoded.isEmpty, decoded.count <= 64 else {
            throw StorageServiceError.invalidQuery("blockid", String((request.query["blockid"] ?? "").prefix(100)), "it must be base64 of at most 64 bytes")
        }
        let limit = min(core.configuration.maximumBlobSize, core.configuration.maximumRequestBodySize)
        let declared = try declaredLength(request, limit: limit)
        _ = try await core.blobs.container(account: request.account, name: container)
        let file = try await core.files.write(request.request.body, limit: limit)
        do {
            if let declared, declared != file.size {
                throw StorageServiceError(400, "InvalidInput", "The body has \(file.size) bytes but Content-Length says \(declared).")
            }
            let obsolete = try await core.blobs.putBlock(
                account: request.account, container: container, blob: name, blockId: blockId, file: file,
                limits: UncommittedBlockLimits(configuration: core.configuration)
            )
            core.files.remove(obsolete)
        } catch {
            core.files.remove([file.id])
            throw error
        }
        return StorageResponses.make(201, headers: [("Content-MD5", Data(file.md5).base64EncodedString()), ("x-ms-request-server-encrypted", "true")])
    }

    private func putBlockList(_ request: StorageHTTPRequest, container: String, name: String, createOnly: Bool) async throws -> Response {
        let body = try await collectBody(request.request, limit: 8 * 1024 * 1024)
        let root: StorageXMLElement
        do {
            root = try StorageXMLReader.parse(body.readableBytesView)
        } catch {
            throw StorageServiceError.invalidXML(error.description)
        }
        guard root.name == "BlockList" else { throw StorageServiceError.invalidXML("the root element must be <BlockList>") }
        let ids = root.children.filter { ["Latest", "Uncommitted", "Committed"].contains($0.name) }.map(\.text)
        guard ids.count <= 50_000 else {
            throw StorageServiceError(400, "InvalidBlockList", "A block list may name at most 50,000 blocks.")
        }
        let headers = try blobHeaders(request, fallbackToStandard: false)
        let conditions = try BlobConditions(request)
        let check = writeCheck(conditions, createOnly: createOnly)
        if !conditions.isEmpty || createOnly {
            let existing = try? await core.blobs.blob(account: request.account, container: container, name: name)
            try check(existing)
        }
        let blocks = try await core.blobs.blockFiles(
            account: request.account, container: container, blob: name, blockIds: ids,
            lifetimeMs: UncommittedBlockLimits(configuration: core.configuration).lifetimeMs
        )
        let total = blocks.reduce(0) { $0 + $1.size }
        guard total <= core.configuration.maximumBlobSize else {
            throw StorageServiceError(413, "RequestBodyTooLarge", "The committed blob would be \(total) bytes; this service accepts at most \(core.configuration.maximumBlobSize).")
        }
        let file = try await core.files.concatenate(blocks.map(\.file))
        do {
            let blob = StoredBlob(name: name, file: file, headers: headers, etag: BlobStore.newETag(), now: nowMilliseconds())
            let (stored, obsolete) = try await core.blobs.putBlob(account: request.account, container: container, blob: blob, condition: check)
            core.files.remove(obsolete)
            return StorageResponses.make(201, headers: [
                ("ETag", stored.etag), ("Last-Modified", StorageResponses.date(stored.modifiedMs)), ("x-ms-request-server-encrypted", "true"),
            ])
        } catch {
            core.files.remove([file.id])
            throw error
        }
    }

    private func setProperties(_ request: StorageHTTPRequest, container: String, name: String, metadataOnly: Bool) async throws -> Response {
        let headers = try blobHeaders(request, fallbackToStandard: false)
        let conditions = try BlobConditions(request)
        let updated = try await core.blobs.updateBlob(account: request.account, container: container, name: name) {
            try conditions.checkWrite($0)
        } change: { blob in
            if metadataOnly {
                blob.metadata = headers.metadata
            } else {
                // Set Blob Properties replaces all standard properties (absent ones are cleared).
                blob.contentType = headers.contentType ?? "application/octet-stream"
                blob.contentEncoding = headers.contentEncoding
                blob.contentLanguage = headers.contentLanguage
                blob.contentDisposition = headers.contentDisposition
                blob.cacheControl = headers.cacheControl
                blob.contentMD5 = headers.contentMD5
            }
        }
        return StorageResponses.make(200, headers: [("ETag", updated.etag), ("Last-Modified", StorageResponses.date(updated.modifiedMs))])
    }

    // MARK: Get Blob

    private func getBlob(_ request: StorageHTTPRequest, container: String, name: String) async throws -> Response {
        if request.query["snapshot"] != nil || request.query["versionid"] != nil {
            throw StorageServiceError.notImplemented("snapshots and versions")
        }
        let conditions = try BlobConditions(request)
        let blob = try await core.blobs.blob(account: request.account, container: container, name: name)
        var headers: [(String, String)] = [
            ("ETag", blob.etag), ("Last-Modified", StorageResponses.date(blob.modifiedMs)),
        ]
        if try conditions.checkRead(blob) {
            return StorageResponses.make(304, headers: headers)
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
        let md5 = blob.contentMD5.map { Data($0).base64EncodedString() }

        var start = 0
        var end = blob.size - 1
        var status = 200
        if let rangeText = request.header("x-ms-range") ?? request.header("range") {
            guard let range = Self.parseRange(rangeText) else { throw StorageServiceError.invalidHeader("x-ms-range", "use bytes=start-end or bytes=start-") }
            guard range.start < blob.size else {
                var error = StorageServiceError(416, "InvalidRange", "The range specified is invalid for the current size of the resource.")
                error.headers = [("Content-Range", "bytes */\(blob.size)")]
                throw error
            }
            start = range.start
            end = min(range.end ?? (blob.size - 1), blob.size - 1)
            status = 206
            headers.append(("Content-Range", "bytes \(start)-\(end)/\(blob.size)"))
            if let md5 { headers.append(("x-ms-blob-content-md5", md5)) }
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
            throw StorageServiceError(503, "ServerBusy", "The blob changed while it was being read; retry.")
        }
        let file = OpenFile(fd)
        if length <= 1 << 20 {
            let buffer = try withExtendedLifetime(file) { try BlobFiles.read(file.fd, offset: start, length: length) }
            guard buffer.readableBytes == length else {
                throw StorageServiceError(500, "InternalError", "The blob file is shorter than its recorded size; the data directory may be damaged.")
            }
            return StorageResponses.make(status, headers: headers, body: ResponseBody(byteBuffer: buffer))
        }
        let first = start
        let body = ResponseBody(contentLength: length) { writer in
            var offset = first
            let stop = first + length
            while offset < stop {
                let chunk = try BlobFiles.read(file.fd, offset: offset, length: min(256 * 1024, stop - offset))
                guard chunk.readableBytes > 0 else { throw StorageServiceError(500, "InternalError", "The blob file ended early.") }
                offset += chunk.readableBytes
                try await writer.write(chunk)
            }
            try await writer.finish(nil)
        }
        return StorageResponses.make(status, headers: headers, body: body)
    }

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
