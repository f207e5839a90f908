public import AsyncHTTPClient
import EdgeFactorSupport
public import Foundation

/// A client for one blob container (Azure Blob REST API), against Azure or the built-in service.
public final class BlobContainerClient: Sendable {
    /// The container's name.
    public let containerName: String
    let transport: StorageTransport
    let connection: StorageConnectionString
    let transfer: BlobTransferOptions
    let path: String

    public init(
        connectionString: StorageConnectionString,
        containerName: String,
        httpClient: HTTPClient = .shared,
        retry: RetryPolicy = .default,
        transfer: BlobTransferOptions = .default
    ) {
        self.containerName = containerName
        self.connection = connectionString
        self.transfer = transfer
        self.transport = StorageTransport(endpoint: connectionString.blobEndpoint, connection: connectionString, httpClient: httpClient, retry: retry)
        self.path = "/" + PercentEncoding.encode(containerName)
    }

    /// The container's URL (without credentials).
    public var url: URL { URL(string: transport.url(path: path)) ?? transport.endpoint }

    /// A client for one blob of this container (no request is made).
    public func blob(_ name: String) -> BlobClient {
        BlobClient(transport: transport, connection: connection, containerName: containerName, blobName: name, transfer: transfer)
    }

    /// Creates the container (private access); succeeds if it already exists.
    public func create(metadata: [String: String] = [:]) async throws {
        do {
            _ = try await transport.send(StorageRequest(
                method: .PUT, path: path, query: [("restype", "container")],
                headers: metadata.map { ("x-ms-meta-\($0.key)", $0.value) }, expected: [201]
            ))
        } catch {
            guard error.code == .containerAlreadyExists else { throw error }
            return
        }
    }

    /// Deletes the container and every blob in it.
    public func delete() async throws {
        _ = try await transport.send(StorageRequest(method: .DELETE, path: path, query: [("restype", "container")], expected: [202]))
    }

    /// Whether the container exists.
    public func exists() async throws -> Bool {
        do {
            _ = try await transport.send(StorageRequest(method: .HEAD, path: path, query: [("restype", "container")], expected: [200]))
            return true
        } catch {
            guard error.status == 404 else { throw error }
            return false
        }
    }

    /// Lists blobs in name order, one page per element.
    /// - Parameters:
    ///   - prefix: only names starting with this.
    ///   - delimiter: collapse names containing it after the prefix into one ``BlobItem`` with
    ///     `isPrefix` (virtual directories; usually `/`).
    ///   - maxResults: entries per page (1…5000; the service's default is 5000).
    ///   - includeMetadata: fill ``BlobProperties/metadata``.
    public func list(prefix: String? = nil, delimiter: String? = nil, maxResults: Int? = nil, includeMetadata: Bool = false) -> BlobPages {
        var query: [(String, String)] = [("restype", "container"), ("comp", "list")]
        if let prefix { query.append(("prefix", prefix)) }
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let maxResults { query.append(("maxresults", String(maxResults))) }
        if includeMetadata { query.append(("include", "metadata")) }
        return BlobPages(transport: transport, path: path, query: query)
    }
}

/// The pages of a blob listing; each iteration step makes one List Blobs request.
public struct BlobPages: AsyncSequence, Sendable {
    public typealias Element = BlobListPage
    let transport: StorageTransport
    let path: String
    let query: [(String, String)]

    public func makeAsyncIterator() -> Iterator {
        Iterator(pages: self)
    }

    /// Every item of every page, in order.
    public func allItems() async throws -> [BlobItem] {
        var items: [BlobItem] = []
        for try await page in self { items += page.items }
        return items
    }

    public struct Iterator: AsyncIteratorProtocol {
        let pages: BlobPages
        var marker: String?
        var finished = false

        init(pages: BlobPages) {
            self.pages = pages
        }

        public mutating func next() async throws -> BlobListPage? {
            guard !finished else { return nil }
            var query = pages.query
            if let marker { query.append(("marker", marker)) }
            let response = try await pages.transport.send(StorageRequest(method: .GET, path: pages.path, query: query, expected: [200]))
            let page = try Self.parse(response)
            marker = page.nextMarker
            finished = page.nextMarker == nil
            return page
        }

        static func parse(_ response: StorageResponse) throws(StorageError) -> BlobListPage {
            let root: StorageXMLElement
            do {
                root = try StorageXMLReader.parse(response.body.readableBytesView)
            } catch {
                throw StorageError(status: response.status, code: .invalidResponse, message: "the blob list is not valid XML (\(error)).")
            }
            var items: [BlobItem] = []
            for entry in root.child("Blobs")?.children ?? [] {
                let name = entry.childText("Name") ?? ""
                if entry.name == "BlobPrefix" {
                    items.append(BlobItem(name: name, isPrefix: true, properties: nil))
                } else if entry.name == "Blob" {
                    let properties = entry.child("Properties")
                    func text(_ key: String) -> String? {
                        guard let value = properties?.childText(key), !value.isEmpty else { return nil }
                        return value
                    }
                    var metadata: [String: String] = [:]
                    for item in entry.child("Metadata")?.children ?? [] { metadata[item.name] = item.text }
                    items.append(BlobItem(name: name, isPrefix: false, properties: BlobProperties(
                        contentLength: text("Content-Length").flatMap { Int($0) } ?? 0,
                        contentType: text("Content-Type") ?? "application/octet-stream",
                        contentEncoding: text("Content-Encoding"),
                        contentLanguage: text("Content-Language"),
                        contentDisposition: text("Content-Disposition"),
                        cacheControl: text("Cache-Control"),
                        contentMD5: text("Content-MD5").flatMap { Data(base64Encoded: $0) },
                        eTag: text("Etag") ?? "",
                        lastModified: text("Last-Modified").flatMap(StorageDate.parseRFC1123) ?? Date(timeIntervalSince1970: 0),
                        createdOn: text("Creation-Time").flatMap(StorageDate.parseRFC1123),
                        metadata: metadata
                    )))
                }
            }
            let next = root.childText("NextMarker").flatMap { $0.isEmpty ? nil : $0 }
            return BlobListPage(items: items, nextMarker: next)
        }
    }
}
