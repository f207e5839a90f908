public import AsyncHTTPClient
import Crypto
import EdgeFactorSupport
public import Foundation
import NIOCore

/// A client for one blob (block blobs), against Azure or the built-in service.
public final class BlobClient: Sendable {
    public let containerName: String
    /// The blob's name (may contain `/` for virtual directories).
    public let name: String
    let transport: StorageTransport
    let connection: StorageConnectionString
    let transfer: BlobTransferOptions
    let path: String

    public convenience init(
        connectionString: StorageConnectionString,
        containerName: String,
        blobName: String,
        httpClient: HTTPClient = .shared,
        retry: RetryPolicy = .default,
        transfer: BlobTransferOptions = .default
    ) {
        let transport = StorageTransport(endpoint: connectionString.blobEndpoint, connection: connectionString, httpClient: httpClient, retry: retry)
        self.init(transport: transport, connection: connectionString, containerName: containerName, blobName: blobName, transfer: transfer)
    }

    /// A client for the blob a SAS URL points at (e.g. one made by ``sasURL(permissions:expiresOn:startsOn:)``);
    /// it can do what the SAS permits.
    /// - Throws: ``StorageConfigurationError`` if the URL names no container and blob or carries no SAS.
    public convenience init(
        sasURL: URL, httpClient: HTTPClient = .shared, retry: RetryPolicy = .default, transfer: BlobTransferOptions = .default
    ) throws(StorageConfigurationError) {
        guard let components = URLComponents(url: sasURL, resolvingAgainstBaseURL: false), let host = components.host,
              let scheme = components.scheme, let query = components.percentEncodedQuery, query.contains("sig=")
        else {
            throw StorageConfigurationError("'\(sasURL.absoluteString.prefix(200))' is not a blob SAS URL (http(s)://…/container/blob?sv=…&sig=…).")
        }
        var segments = components.percentEncodedPath.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        let pathStyle = StorageConnectionString.isPathStyle(host: host)
        let account = pathStyle ? (segments.isEmpty ? "" : segments.removeFirst()) : String(host.split(separator: ".").first ?? "")
        guard !account.isEmpty, segments.count >= 2, let container = PercentEncoding.decode(segments[0]),
              let blob = PercentEncoding.decode(segments.dropFirst().joined(separator: "/")), !blob.isEmpty
        else {
            throw StorageConfigurationError("the SAS URL must name a container and a blob: …/container/blob?sv=….")
        }
        let port = components.port.map { ":\($0)" } ?? ""
        let base = "\(scheme)://\(host)\(port)" + (pathStyle ? "/\(account)" : "")
        guard let endpoint = URL(string: base) else {
            throw StorageConfigurationError("cannot build an endpoint from '\(base)'.")
        }
        let connection = StorageConnectionString(accountName: account, blobEndpoint: endpoint, queueEndpoint: endpoint, credential: .sharedAccessSignature(query))
        self.init(connectionString: connection, containerName: container, blobName: blob, httpClient: httpClient, retry: retry, transfer: transfer)
    }

    init(transport: StorageTransport, connection: StorageConnectionString, containerName: String, blobName: String, transfer: BlobTransferOptions) {
        self.transport = transport
        self.connection = connection
        self.containerName = containerName
        self.name = blobName
        self.transfer = transfer
        self.path = "/" + PercentEncoding.encode(containerName) + "/" + PercentEncoding.encode(blobName, keepSlash: true)
    }

    /// The blob's URL (without credentials).
    public var url: URL { URL(string: transport.url(path: path)) ?? transport.endpoint }

    /// Uploads the blob as a block blob; larger than ``BlobTransferOptions/singleUploadLimit``
    /// it is staged in blocks and committed at once.
    /// - Parameter overwrite: `false` (default) fails with 409 `BlobAlreadyExists` if it exists.
    @discardableResult
    public func upload(
        _ data: some Collection<UInt8>,
        contentType: String = "application/octet-stream",
        metadata: [String: String] = [:],
        overwrite: Bool = false
    ) async throws -> BlobProperties {
        var headers: [(String, String)] = [("x-ms-blob-content-type", contentType)]
        headers += metadata.sorted { $0.key < $1.key }.map { ("x-ms-meta-\($0.key)", $0.value) }
        if !overwrite { headers.append(("if-none-match", "*")) }

        let response: StorageResponse
        var md5: Data?
        let size = data.count
        if size <= transfer.singleUploadLimit {
            var request = StorageRequest(method: .PUT, path: path, headers: headers, expected: [201])
            if size > Self.streamingThreshold, let body = Self.streamedBody(data) {
                request.streamedBody = (body, size)
            } else {
                request.body = Self.buffer(data)
            }
            request.headers.append(("x-ms-blob-type", "BlockBlob"))
            request.headers.append(("content-type", "application/octet-stream"))
            response = try await transport.send(request)
            md5 = response.headers.first(name: "content-md5").flatMap { Data(base64Encoded: $0) }
        } else {
            if !overwrite, try await exists() {
                throw StorageError(status: 409, code: .blobAlreadyExists, message: "The specified blob already exists. " + (StorageError.hint(for: .blobAlreadyExists) ?? ""))
            }
            let buffer = Self.buffer(data)
            let ids = try await stageBlocks(buffer)
            var xml = StorageXMLWriter()
            xml.open("BlockList")
            for id in ids { xml.element("Latest", id) }
            xml.close("BlockList")
            let digest = buffer.withUnsafeReadableBytes { Data(Insecure.MD5.hash(data: $0)) }
            md5 = digest
            headers.append(("x-ms-blob-content-md5", digest.base64EncodedString()))
            headers.append(("content-type", "application/xml"))
            response = try await transport.send(StorageRequest(
                method: .PUT, path: path, query: [("comp", "blocklist")], headers: headers,
                body: ByteBuffer(string: xml.text), expected: [201]
            ))
        }
        return BlobProperties(
            contentLength: size, contentType: contentType, contentMD5: md5,
            eTag: response.headers.first(name: "etag") ?? "",
            lastModified: response.headers.first(name: "last-modified").flatMap(StorageDate.parseRFC1123) ?? Date(),
            createdOn: nil, metadata: metadata
        )
    }

    /// Single uploads above this size stream an array's or `Data`'s bytes in chunks instead of
    /// copying them into one buffer first.
    static let streamingThreshold = 1024 * 1024

    /// Contiguous input (arrays, Data) is copied in one go; the generic path walks byte by byte.
    private static func buffer(_ data: some Collection<UInt8>) -> ByteBuffer {
        data.withContiguousStorageIfAvailable { ByteBuffer(bytes: $0) } ?? ByteBuffer(bytes: data)
    }

    /// A chunked body read from `data` while it is sent, for the types that can be shared with the
    /// HTTP client's event loop (`[UInt8]`, `Data`); `nil` for others, which are copied.
    private static func streamedBody(_ data: some Collection<UInt8>) -> HTTPClientRequest.Body? {
        if let array = data as? [UInt8] {
            return .stream(ByteChunks(array), length: .known(Int64(array.count)))
        }
        if let data = data as? Data {
            // A Data slice's indices start at its startIndex, which ByteChunks honours.
            return .stream(ByteChunks(data), length: .known(Int64(data.count)))
        }
        return nil
    }

    /// Uploads `buffer` as blocks of ``BlobTransferOptions/blockSize``, a few at a time; returns
    /// the block ids in order.
    private func stageBlocks(_ buffer: ByteBuffer) async throws -> [String] {
        let blockSize = transfer.blockSize
        let count = (buffer.readableBytes + blockSize - 1) / blockSize
        // Equal-length ids, as the service requires within one blob.
        let ids = (0..<count).map { Data("block-\(String(1_000_000 + $0))".utf8).base64EncodedString() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                if index >= transfer.maximumConcurrentBlocks { try await group.next() }
                let offset = index * blockSize
                let length = min(blockSize, buffer.readableBytes - offset)
                let slice = buffer.getSlice(at: buffer.readerIndex + offset, length: length)
                let request = StorageRequest(
                    method: .PUT, path: path, query: [("comp", "block"), ("blockid", ids[index])],
                    headers: [("content-type", "application/octet-stream")], body: slice, expected: [201]
                )
                group.addTask { _ = try await self.transport.send(request) }
            }
            try await group.waitForAll()
        }
        return ids
    }

    /// Downloads the whole blob into memory (up to ``BlobTransferOptions/maximumInMemoryDownload``).
    public func download() async throws -> (data: Data, properties: BlobProperties) {
        let response = try await transport.send(StorageRequest(method: .GET, path: path, expected: [200]), limit: transfer.maximumInMemoryDownload)
        return (response.body.withUnsafeReadableBytes { Data($0) }, BlobProperties(headers: response.headers))
    }

    /// Downloads the bytes at offsets `range` (inclusive); the end is clamped to the blob's size.
    /// Fails with 416 `InvalidRange` if the range starts at or beyond the end.
    public func download(range: ClosedRange<Int>) async throws -> Data {
        let response = try await transport.send(
            StorageRequest(method: .GET, path: path, headers: [("x-ms-range", "bytes=\(range.lowerBound)-\(range.upperBound)")], expected: [200, 206]),
            limit: max(transfer.maximumInMemoryDownload, 1)
        )
        return response.body.withUnsafeReadableBytes { Data($0) }
    }

    /// Streams the blob into a file (written to a temporary name, then renamed), without holding
    /// it in memory.
    @discardableResult
    public func download(to fileURL: URL) async throws -> BlobProperties {
        let response = try await transport.open(StorageRequest(method: .GET, path: path, expected: [200]))
        let properties = BlobProperties(headers: response.headers)
        let temporary = fileURL.deletingLastPathComponent().appendingPathComponent(".\(fileURL.lastPathComponent).\(UUID().uuidString).part")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw StorageError(status: 0, code: .fileError, message: "cannot create \(temporary.path); check that the directory exists and is writable.")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            var written = 0
            for try await chunk in response.body {
                try chunk.withUnsafeReadableBytes { try handle.write(contentsOf: $0) }
                written += chunk.readableBytes
            }
            guard written == properties.contentLength else {
                throw StorageError(status: 0, code: .incompleteDownload, message: "the download stopped after \(written) of \(properties.contentLength) bytes; try again.")
            }
            try handle.synchronize()
            if FileManager.default.fileExists(atPath: fileURL.path) { try FileManager.default.removeItem(at: fileURL) }
            try FileManager.default.moveItem(at: temporary, to: fileURL)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let storageError = error as? StorageError { throw storageError }
            throw StorageError(status: 0, code: .downloadFailed, message: "downloading to \(fileURL.path) failed: \(error).")
        }
        return properties
    }

    /// The blob's properties and metadata.
    public func properties() async throws -> BlobProperties {
        let response = try await transport.send(StorageRequest(method: .HEAD, path: path, expected: [200]))
        return BlobProperties(headers: response.headers)
    }

    /// Whether the blob exists.
    public func exists() async throws -> Bool {
        do {
            _ = try await transport.send(StorageRequest(method: .HEAD, path: path, expected: [200]))
            return true
        } catch {
            guard error.status == 404 else { throw error }
            return false
        }
    }

    /// Replaces the blob's user metadata.
    public func setMetadata(_ metadata: [String: String]) async throws {
        _ = try await transport.send(StorageRequest(
            method: .PUT, path: path, query: [("comp", "metadata")],
            headers: metadata.sorted { $0.key < $1.key }.map { ("x-ms-meta-\($0.key)", $0.value) }, expected: [200]
        ))
    }

    /// Deletes the blob.
    public func delete() async throws {
        _ = try await transport.send(StorageRequest(method: .DELETE, path: path, expected: [202]))
    }

    /// A URL with a service SAS granting `permissions` on this blob only, until `expiresOn`.
    /// - Throws: ``StorageConfigurationError`` if the connection string has no account key.
    public func sasURL(permissions: BlobSASPermissions, expiresOn: Date, startsOn: Date? = nil) throws -> URL {
        guard let key = connection.sharedKey else {
            throw StorageConfigurationError("creating a SAS needs the account key: use a connection string with AccountName and AccountKey.")
        }
        let query = try ServiceSAS.blob(container: containerName, blob: name, permissions: permissions.sp, expiresOn: expiresOn, startsOn: startsOn, key: key)
        let text = transport.baseURL + path + "?" + query
        guard let url = URL(string: text) else {
            throw StorageConfigurationError("the SAS URL for blob '\(name)' is not a valid URL.")
        }
        return url
    }
}
