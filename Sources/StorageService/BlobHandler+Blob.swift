import AzureStorage
import Crypto
import Foundation
import Hummingbird
import NIOCore

extension BlobHandler {
    /// `comp` values Azure defines on a blob.
    private static let blobComps: Set<String> = [
        "block", "blocklist", "metadata", "properties", "lease", "snapshot", "copy", "tier", "tags", "undelete",
        "expiry", "immutabilitypolicies", "legalhold", "query", "page", "pagelist", "appendblock", "seal",
        "incrementalcopy", "blockfromurl",
    ]

    /// The blob operations, dispatched on `comp` first.
    func blob(_ request: StorageHTTPRequest, container: String, name: String) async throws -> Response {
        let resource = SASResource(service: .blob, container: container, blob: name)
        let method = request.method
        switch request.query["comp"] {
        case nil:
            switch method {
            case "PUT":
                // Azure: 'c' writes a new blob only; overwriting an existing one needs 'w'.
                let grant = try await core.authorize(request, .putBlob, resource: resource, anyOf: [.write, .create])
                return try await putBlob(request, container: container, name: name, createOnly: !grant.allows(.write))
            case "GET", "HEAD":
                let grant = try await core.authorize(request, method == "GET" ? .getBlob : .getBlobProperties, resource: resource, permission: .read)
                return try await getBlob(request, container: container, name: name, overrides: grant.overrides)
            case "DELETE":
                try await core.authorize(request, .deleteBlob, resource: resource, permission: .delete)
                let conditions = try BlobConditions(request)
                let file = try await core.blobs.deleteBlob(account: request.account, container: container, name: name) { try conditions.checkWrite($0) }
                core.files.remove([file])
                return StorageResponses.make(202, headers: [("x-ms-delete-type-permanent", "true")])
            default:
                throw StorageServiceError.unsupportedVerb(method, "a blob", use: "PUT, GET, HEAD or DELETE")
            }
        case "block" where method == "PUT":
            try await core.authorize(request, .putBlock, resource: resource, anyOf: [.write, .create])
            return try await putBlock(request, container: container, name: name)
        case "blocklist" where method == "PUT":
            let grant = try await core.authorize(request, .putBlockList, resource: resource, anyOf: [.write, .create])
            return try await putBlockList(request, container: container, name: name, createOnly: !grant.allows(.write))
        case "metadata" where method == "PUT":
            try await core.authorize(request, .setBlobMetadata, resource: resource, permission: .write)
            return try await setProperties(request, container: container, name: name, metadataOnly: true)
        case "properties" where method == "PUT":
            try await core.authorize(request, .setBlobProperties, resource: resource, permission: .write)
            return try await setProperties(request, container: container, name: name, metadataOnly: false)
        case "metadata" where method == "GET" || method == "HEAD":
            try await core.authorize(request, .getBlobMetadata, resource: resource, permission: .read)
            let conditions = try BlobConditions(request)
            let blob = try await core.blobs.blob(account: request.account, container: container, name: name)
            let headers = [("ETag", blob.etag), ("Last-Modified", StorageResponses.date(blob.modifiedMs))]
            if try conditions.checkRead(blob) { return StorageResponses.notModified(headers: headers) }
            return StorageResponses.make(200, headers: headers + StorageResponses.metadataHeaders(blob.metadata))
        case let comp?:
            try await core.authenticator.authenticate(request, resource: resource, anyOf: [.read, .write, .create, .delete])
            if comp == "blocklist", method == "GET" {
                throw StorageServiceError.notImplemented("Get Block List (GET ?comp=blocklist)")
            }
            if ["block", "blocklist", "metadata", "properties"].contains(comp) {
                throw StorageServiceError.unsupportedVerb(method, "comp=\(comp) on a blob", use: comp == "metadata" ? "PUT, GET or HEAD" : "PUT")
            }
            throw StorageServiceError.unsupportedComp(
                comp, on: "a blob (leases, snapshots, copies, tiers, tags, page and append blobs are not implemented)", known: Self.blobComps
            )
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
        if let md5 = request.header("x-ms-blob-content-md5"), !md5.isEmpty {
            // Stored as given, as Azure does; only Put Blob has a body to check it against.
            guard let data = Data(base64Encoded: md5) else { throw .invalidHeader("x-ms-blob-content-md5", "not base64") }
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
            throw StorageServiceError(413, .requestBodyTooLarge, "The request body is \(length) bytes; this service accepts at most \(limit).")
        }
        return length
    }

    /// The `Content-MD5` of the request body, if sent: Azure checks it against the body.
    static func transactionalMD5(_ request: StorageHTTPRequest) throws(StorageServiceError) -> [UInt8]? {
        guard let text = request.header("content-md5") else { return nil }
        guard let data = Data(base64Encoded: text), data.count == 16 else { throw .invalidHeader("Content-MD5", "not a base64 MD5") }
        return Array(data)
    }

    /// The write check of a Put Blob or Put Block List: the request's conditions, and for a SAS
    /// that grants only 'c', that there is no blob to overwrite (Azure answers 403).
    private func writeCheck(_ conditions: BlobConditions, createOnly: Bool) -> @Sendable (StoredBlob?) throws -> Void {
        { existing in
            if createOnly, existing != nil {
                throw StorageServiceError(
                    403, .authorizationPermissionMismatch,
                    "This request is not authorized to perform this operation using this permission: the blob exists, and a SAS with 'c' but not 'w' creates new blobs only."
                )
            }
            try conditions.checkWrite(existing)
        }
    }

    private func putBlob(_ request: StorageHTTPRequest, container: String, name: String, createOnly: Bool) async throws -> Response {
        guard let type = request.header("x-ms-blob-type") else {
            throw StorageServiceError(400, .missingRequiredHeader, "An HTTP header that's mandatory for this request is not specified: x-ms-blob-type.")
        }
        guard type == "BlockBlob" else {
            throw StorageServiceError.notImplemented("\(type.prefix(32)) blobs (only BlockBlob)")
        }
        let limit = min(core.configuration.maximumBlobSize, core.configuration.maximumRequestBodySize)
        let declared = try declaredLength(request, limit: limit)
        var headers = try blobHeaders(request, fallbackToStandard: true)
        let conditions = try BlobConditions(request)
        let givenMD5 = try Self.transactionalMD5(request)
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
                throw StorageServiceError(400, .invalidInput, "The body has \(file.size) bytes but Content-Length says \(declared).")
            }
            if let givenMD5, givenMD5 != file.md5 {
                throw StorageServiceError.md5Mismatch("Content-MD5", given: givenMD5, computed: file.md5)
            }
            // Put Blob has the whole body, so the blob's MD5 is checked too (Put Block List's is not).
            if let blobMD5 = headers.contentMD5, blobMD5 != file.md5 {
                throw StorageServiceError.md5Mismatch("x-ms-blob-content-md5", given: blobMD5, computed: file.md5)
            }
            headers.contentMD5 = file.md5
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
        let givenMD5 = try Self.transactionalMD5(request)
        _ = try await core.blobs.container(account: request.account, name: container)
        let file = try await core.files.write(request.request.body, limit: limit)
        do {
            if let declared, declared != file.size {
                throw StorageServiceError(400, .invalidInput, "The body has \(file.size) bytes but Content-Length says \(declared).")
            }
            if let givenMD5, givenMD5 != file.md5 {
                throw StorageServiceError.md5Mismatch("Content-MD5", given: givenMD5, computed: file.md5)
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
        let givenMD5 = try Self.transactionalMD5(request)
        let body = try await collectBody(request.request, limit: 8 * 1024 * 1024)
        if let givenMD5 {
            let computed = body.withUnsafeReadableBytes { Array(Insecure.MD5.hash(data: $0)) }
            if givenMD5 != computed { throw StorageServiceError.md5Mismatch("Content-MD5", given: givenMD5, computed: computed) }
        }
        let root: StorageXMLElement
        do {
            root = try StorageXMLReader.parse(body.readableBytesView)
        } catch {
            throw StorageServiceError.invalidXML(error.description)
        }
        guard root.name == "BlockList" else { throw StorageServiceError.invalidXML("the root element must be <BlockList>") }
        let ids = root.children.filter { ["Latest", "Uncommitted", "Committed"].contains($0.name) }.map(\.text)
        guard ids.count <= 50_000 else {
            throw StorageServiceError(400, .invalidBlockList, "A block list may name at most 50,000 blocks.")
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
            throw StorageServiceError(413, .requestBodyTooLarge, "The committed blob would be \(total) bytes; this service accepts at most \(core.configuration.maximumBlobSize).")
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
}
