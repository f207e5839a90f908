import AsyncHTTPClient
import AzureStorage
import Foundation
import Testing

@Suite("Blob service with the Swift client")
struct BlobServiceTests {
    @Test("upload, download, properties, exists, delete")
    func roundTrip() async throws {
        try await withServer { server in
            let container = BlobContainerClient(connectionString: server.connection, containerName: uniqueName("data"))
            try await container.create()
            try await container.create()  // idempotent
            let blob = container.blob("dir/a b+c ü.json")
            #expect(try await blob.exists() == false)
            let bytes = Array("{\"hello\":1}".utf8)
            let uploaded = try await blob.upload(bytes, contentType: "application/json", metadata: ["source": "edge", "a_1": "x"])
            #expect(uploaded.eTag.hasPrefix("\""))
            #expect(try await blob.exists())
            let (data, properties) = try await blob.download()
            #expect(Array(data) == bytes)
            #expect(properties.contentType == "application/json")
            #expect(properties.contentLength == bytes.count)
            #expect(properties.metadata["source"] == "edge")
            #expect(properties.metadata["a_1"] == "x")
            #expect(properties.eTag == uploaded.eTag)
            let head = try await blob.properties()
            #expect(head.contentLength == bytes.count)
            #expect(head.contentMD5?.count == 16)
            try await blob.delete()
            #expect(try await blob.exists() == false)
        }
    }

    @Test("no overwrite by default: 409 BlobAlreadyExists; overwrite replaces content and metadata")
    func overwrite() async throws {
        try await withServer { server in
            let container = BlobContainerClient(connectionString: server.connection, containerName: uniqueName("ow"))
            try await container.create()
            let blob = container.blob("x.bin")
            try await blob.upload([1, 2, 3], metadata: ["k": "v"])
            do {
                try await blob.upload([4])
                Issue.record("a second upload without overwrite must fail")
            } catch let error as StorageError {
                #expect(error.status == 409)
                #expect(error.code == "BlobAlreadyExists")
            }
            try await blob.upload([4], overwrite: true)
            let (data, properties) = try await blob.download()
            #expect(Array(data) == [4])
            #expect(properties.metadata.isEmpty)
        }
    }

    @Test("ranges: 206 with clamped end; 416 beyond the end and on an empty blob")
    func ranges() async throws {
        try await withServer { server in
            let container = BlobContainerClient(connectionString: server.connection, containerName: uniqueName("range"))
            try await container.create()
            let blob = container.blob("r")
            try await blob.upload(Array(0..<100).map(UInt8.init))
            #expect(Array(try await blob.download(range: 10...19)) == Array(10..<20).map(UInt8.init))
            #expect(Array(try await blob.download(range: 95...1000)) == Array(95..<100).map(UInt8.init))
            do {
                _ = try await blob.download(range: 100...200)
                Issue.record("a range past the end must fail")
            } catch let error as StorageError {
                #expect(error.status == 416)
                #expect(error.code == "InvalidRange")
            }
            let empty = container.blob("empty")
            try await empty.upload([UInt8]())
            #expect(try await empty.download().data.isEmpty)
            await #expect(throws: StorageError.self) { _ = try await empty.download(range: 0...10) }
        }
    }

    @Test("staged block upload of a blob larger than the single-put limit, streamed download to a file")
    func stagedUpload() async throws {
        try await withServer { server in
            let transfer = BlobTransferOptions(singleUploadLimit: 1 << 20, blockSize: 300_000)
            let container = BlobContainerClient(connectionString: server.connection, containerName: uniqueName("big"), transfer: transfer)
            try await container.create()
            var bytes = [UInt8](repeating: 0, count: 3 * (1 << 20) + 12345)
            for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 2_654_435_761 >> 13) }
            let blob = container.blob("big.bin")
            try await blob.upload(bytes)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("download-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: file) }
            let properties = try await blob.download(to: file)
            #expect(properties.contentLength == bytes.count)
            #expect(try Data(contentsOf: file) == Data(bytes))
        }
    }

    @Test("one Put Blob streamed in chunks from an array, Data and a Data slice: the same bytes and MD5 back")
    func streamedSingleUpload() async throws {
        try await withServer { server in
            let container = BlobContainerClient(connectionString: server.connection, containerName: uniqueName("stream"))
            try await container.create()
            // Above the 1 MiB streaming threshold, not a multiple of the 256 KiB chunk.
            var bytes = [UInt8](repeating: 0, count: 3 * (1 << 20) + 777)
            for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 2_654_435_761 >> 11) }
            let whole = Data(bytes)
            // A slice whose indices do not start at 0.
            let slice = whole[1000..<(whole.count - 3)]
            let cases: [(String, [UInt8], (BlobClient) async throws -> BlobProperties)] = [
                ("array.bin", bytes, { try await $0.upload(bytes) }),
                ("data.bin", bytes, { try await $0.upload(whole) }),
                ("slice.bin", Array(slice), { try await $0.upload(slice) }),
            ]
            for (name, expected, upload) in cases {
                let blob = container.blob(name)
                let uploaded = try await upload(blob)
                #expect(uploaded.contentLength == expected.count, "\(name)")
                let (data, properties) = try await blob.download()
                #expect(data == Data(expected), "\(name)")
                #expect(properties.contentMD5?.count == 16, "\(name)")
                #expect(uploaded.contentMD5 == properties.contentMD5, "\(name)")
            }
        }
    }

    @Test("listing with prefix, delimiter and paging")
    func listing() async throws {
        try await withServer { server in
            let container = BlobContainerClient(connectionString: server.connection, containerName: uniqueName("list"))
            try await container.create()
            let names = ["a.txt", "dir/one.txt", "dir/sub/two.txt", "dir/three.txt", "z.txt"]
            for name in names { try await container.blob(name).upload(Array(name.utf8)) }
            let all = try await container.list().allItems()
            #expect(all.map(\.name) == names.sorted())
            var pages = 0
            var paged: [String] = []
            for try await page in container.list(maxResults: 2) {
                pages += 1
                paged += page.items.map(\.name)
            }
            #expect(pages == 3)
            #expect(paged == names.sorted())
            let top = try await container.list(delimiter: "/").allItems()
            #expect(top.map(\.name) == ["a.txt", "dir/", "z.txt"])
            #expect(top[1].isPrefix)
            let inDir = try await container.list(prefix: "dir/", delimiter: "/", maxResults: 1).allItems()
            #expect(inDir.map(\.name) == ["dir/one.txt", "dir/sub/", "dir/three.txt"])
        }
    }

    @Test("a read-only SAS reads but cannot write; an expired SAS is refused")
    func sas() async throws {
        try await withServer { server in
            let container = BlobContainerClient(connectionString: server.connection, containerName: uniqueName("sas"))
            try await container.create()
            let blob = container.blob("img/photo.jpg")
            try await blob.upload([9, 8, 7], contentType: "image/jpeg")
            let client = HTTPClient.shared

            let readURL = try blob.sasURL(permissions: .readOnly, expiresOn: Date(timeIntervalSinceNow: 300))
            let read = try await client.execute(HTTPClientRequest(url: readURL.absoluteString), timeout: .seconds(10))
            #expect(read.status.code == 200)
            #expect(Array(try await read.body.collect(upTo: 1024).readableBytesView) == [9, 8, 7])

            var write = HTTPClientRequest(url: readURL.absoluteString)
            write.method = .PUT
            write.headers.add(name: "x-ms-blob-type", value: "BlockBlob")
            write.body = .bytes([1])
            let refused = try await client.execute(write, timeout: .seconds(10))
            #expect(refused.status.code == 403)
            #expect(refused.headers.first(name: "x-ms-error-code") == "AuthorizationPermissionMismatch")

            let expiredURL = try blob.sasURL(permissions: .readOnly, expiresOn: Date(timeIntervalSinceNow: -60))
            let expired = try await client.execute(HTTPClientRequest(url: expiredURL.absoluteString), timeout: .seconds(10))
            #expect(expired.status.code == 403)
            #expect(expired.headers.first(name: "x-ms-error-code") == "AuthenticationFailed")

            let other = try container.blob("img/other.jpg").sasURL(permissions: .readOnly, expiresOn: Date(timeIntervalSinceNow: 300))
            let swapped = other.absoluteString.replacingOccurrences(of: "other.jpg", with: "photo.jpg")
            let wrongBlob = try await client.execute(HTTPClientRequest(url: swapped), timeout: .seconds(10))
            #expect(wrongBlob.status.code == 403)

            let viaSAS = try BlobClient(sasURL: readURL)
            #expect(Array(try await viaSAS.download().data) == [9, 8, 7])
            do {
                try await viaSAS.upload([1], overwrite: true)
                Issue.record("a read-only SAS must not write")
            } catch let error as StorageError {
                #expect(error.code == "AuthorizationPermissionMismatch")
            }

            let writeURL = try container.blob("upload.bin").sasURL(permissions: .writeOnly, expiresOn: Date(timeIntervalSinceNow: 300))
            var upload = HTTPClientRequest(url: writeURL.absoluteString)
            upload.method = .PUT
            upload.headers.add(name: "x-ms-blob-type", value: "BlockBlob")
            upload.body = .bytes([5, 5])
            #expect(try await client.execute(upload, timeout: .seconds(10)).status.code == 201)
            let readBack = try await client.execute(HTTPClientRequest(url: writeURL.absoluteString), timeout: .seconds(10))
            #expect(readBack.status.code == 403)
        }
    }

    @Test("missing container and blob errors carry their codes")
    func notFound() async throws {
        try await withServer { server in
            let container = BlobContainerClient(connectionString: server.connection, containerName: uniqueName("nope"))
            #expect(try await container.exists() == false)
            do {
                try await container.blob("x").upload([1])
                Issue.record("upload into a missing container must fail")
            } catch let error as StorageError {
                #expect(error.code == "ContainerNotFound")
            }
            try await container.create()
            do {
                _ = try await container.blob("x").download()
                Issue.record("downloading a missing blob must fail")
            } catch let error as StorageError {
                #expect(error.status == 404)
                #expect(error.code == "BlobNotFound")
            }
            do {
                _ = try await container.blob("x").properties()
                Issue.record("HEAD of a missing blob must fail")
            } catch let error as StorageError {
                #expect(error.code == "BlobNotFound", "HEAD has no body: the code must come from x-ms-error-code")
            }
        }
    }
}
