import Foundation
import Testing
import TestSupport
@testable import Vision

#if canImport(Glibc)
import Glibc
#endif

/// The MJPEG preview on a real loopback socket, read by a minimal HTTP client.
@Suite("MJPEG preview server and file outputs")
struct PreviewServerTests {
    /// Sends `request` to 127.0.0.1:`port` and reads until `enough` says so, the peer closes, or 5 s pass.
    static func fetch(port: Int, request: String, enough: @escaping @Sendable ([UInt8]) -> Bool) async throws -> [UInt8] {
        // A dedicated thread: blocking socket calls must not occupy Swift's few cooperative threads.
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try blockingFetch(port: port, request: request, enough: enough) })
            }
        }
    }

    static func blockingFetch(port: Int, request: String, enough: ([UInt8]) -> Bool) throws -> [UInt8] {
        try {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw POSIXError(.EIO) }
            defer { close(fd) }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
            _ = request.withCString { send(fd, $0, strlen($0), 0) }
            var received: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while !enough(received) {
                let n = recv(fd, &chunk, chunk.count, 0)
                if n <= 0 { break }
                received.append(contentsOf: chunk[0..<n])
            }
            return received
        }()
    }

    static func count(_ needle: String, in haystack: [UInt8]) -> Int {
        let n = Array(needle.utf8)
        guard haystack.count >= n.count else { return 0 }
        return (0...(haystack.count - n.count)).filter { haystack[$0] == n[0] && Array(haystack[$0..<($0 + n.count)]) == n }.count
    }

    @Test("streams published frames as multipart JPEG parts and serves the latest frame")
    func stream() async throws {
        try await withFixture(try await MJPEGStreamServer.start(port: 0), tearDown: { await $0.stop() }) { server in
            #expect(server.port > 0)
            let first = RGBImage(width: 32, height: 24, color: .green)
            try server.publish(first, quality: 90)

            let streaming = Task {
                try await Self.fetch(port: server.port, request: "GET / HTTP/1.1\r\nHost: x\r\n\r\n") {
                    Self.count("--\(MJPEGStreamServer.boundary)", in: $0) >= 3
                }
            }
            // Publish more frames once the viewer is connected.
            #expect(await eventually { server.clientCount == 1 })
            for i in 0..<3 {
                try server.publish(RGBImage(width: 32, height: 24, color: RGB(UInt8(i * 80), 0, 0)))
                try await Task.sleep(for: .milliseconds(20))
            }
            let bytes = try await streaming.value
            let text = String(decoding: bytes.prefix(300), as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 200 OK"))
            #expect(text.contains("multipart/x-mixed-replace; boundary=\(MJPEGStreamServer.boundary)"))
            #expect(Self.count("Content-Type: image/jpeg", in: bytes) >= 3)
            // The first part is the frame published before the viewer came: decode it.
            let start = try #require((0..<(bytes.count - 2)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xD8 && bytes[$0 + 2] == 0xFF })
            let lengthLine = try #require(text.components(separatedBy: "Content-Length: ").dropFirst().first?.prefix { $0.isNumber })
            let length = try #require(Int(lengthLine))
            let decoded = try ImageCodec.decode(Array(bytes[start..<(start + length)]))
            #expect(decoded.width == 32 && decoded.height == 24)

            let single = try await Self.fetch(port: server.port, request: "GET /frame.jpg HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") { _ in false }
            #expect(String(decoding: single.prefix(100), as: UTF8.self).contains("image/jpeg"))
            let missing = try await Self.fetch(port: server.port, request: "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") { _ in false }
            #expect(String(decoding: missing.prefix(20), as: UTF8.self).contains("404"))
        }
    }

    @Test("connections that never send a request are closed after the request timeout, and bounded; the latest frame is still served")
    func silentConnections() async throws {
        let server = try await MJPEGStreamServer.start(port: 0, maximumClients: 1, requestTimeout: .milliseconds(500))
        try server.publish(RGBImage(width: 8, height: 8, color: .green))
        var silent: [RawConnection] = []
        for _ in 0..<4 { silent.append(try await RawConnection.open(port: server.port)) }
        // Half a head is as silent as none; on a loaded machine the timeout may already have
        // closed this connection, which is what the test checks below anyway.
        try? await silent[0].send("GET /frame.jpg HTTP/1.1\r\nHost: x\r\n")
        let beyondBound = try await RawConnection.open(port: server.port)
        #expect(await beyondBound.readUntilClosed(within: .seconds(60)) != nil, "a fifth connection is closed at once")
        for connection in silent {
            #expect(await connection.readUntilClosed(within: .seconds(60)) != nil, "a silent connection must be closed")
        }
        let frame = try await Self.fetch(port: server.port, request: "GET /frame.jpg HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") { _ in false }
        #expect(String(decoding: frame.prefix(100), as: UTF8.self).contains("image/jpeg"))
        await server.stop()
    }

    @Test("viewers beyond the limit get 503")
    func clientLimit() async throws {
        let server = try await MJPEGStreamServer.start(port: 0, maximumClients: 1)
        // The first viewer stays connected until the server stops.
        let first = Task { try await Self.fetch(port: server.port, request: "GET / HTTP/1.1\r\nHost: x\r\n\r\n") { _ in false } }
        #expect(await eventually { server.clientCount == 1 })
        let second = try await Self.fetch(port: server.port, request: "GET / HTTP/1.1\r\nHost: x\r\n\r\n") { $0.count > 10 }
        #expect(String(decoding: second.prefix(20), as: UTF8.self).contains("503"))
        await server.stop()
        let firstBytes = try await first.value
        #expect(String(decoding: firstBytes.prefix(20), as: UTF8.self).contains("200"))
    }

    @Test("file outputs: a numbered pattern, a folder, a single file")
    func fileSinks() async throws {
        let directory = try TestAssets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let image = RGBImage(width: 16, height: 16, color: .white)
        let numbered = try await FrameSinks.open(directory.path + "/numbered/out-%03d.jpg")
        try await numbered.write(image, index: 7)
        #expect(FileManager.default.fileExists(atPath: directory.path + "/numbered/out-007.jpg"))
        let folder = try await FrameSinks.open(directory.path + "/frames/")
        try await folder.write(image, index: 2)
        let written = try Data(contentsOf: directory.appendingPathComponent("frames/frame-000002.jpg"))
        #expect(try ImageCodec.decode(written).width == 16)
        let single = try await FrameSinks.open(directory.path + "/last.jpg")
        try await single.write(image, index: 0)
        try await single.write(RGBImage(width: 8, height: 8), index: 1)
        #expect(try ImageCodec.decode(Data(contentsOf: directory.appendingPathComponent("last.jpg"))).width == 8)
        await #expect(throws: FrameSourceError.self) { try await FrameSinks.open("http://127.0.0.1") }
    }
}
