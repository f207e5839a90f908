import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where annotated frames go: JPEG files, an MJPEG preview stream, or nowhere.
public protocol FrameSink: Sendable {
    /// Writes frame number `index` (0-based).
    func write(_ image: RGBImage, index: Int) async throws
    func close() async
}

/// Opens frame outputs by URI.
public enum FrameSinks {
    /// - `http://HOST:PORT` (or `mjpeg://HOST:PORT`): an MJPEG-over-HTTP preview server;
    /// - a path with `%d` (or `%i`): one JPEG per frame, numbered (`out/frame-%d.jpg`);
    /// - an existing folder or a path ending in `/`: `frame-000000.jpg`, ... inside it;
    /// - any other path: that JPEG, overwritten by each frame (the last one stays);
    /// - `none` or an empty string: nothing.
    public static func open(_ uri: String, quality: Int = 90) async throws -> any FrameSink {
        let lower = uri.lowercased()
        if uri.isEmpty || lower == "none" { return NullSink() }
        if lower.hasPrefix("http://") || lower.hasPrefix("mjpeg://") {
            let rest = uri.drop(while: { $0 != "/" }).drop(while: { $0 == "/" })
            let hostPort = rest.split(separator: "/").first.map(String.init) ?? ""
            guard let colon = hostPort.lastIndex(of: ":"), let port = Int(hostPort[hostPort.index(after: colon)...]),
                  (0...65535).contains(port) else {
                throw FrameSourceError.unsupported("preview output \(uri) needs a host and port, e.g. http://127.0.0.1:8090")
            }
            let host = String(hostPort[..<colon])
            let server = try await MJPEGStreamServer.start(host: host.isEmpty ? "127.0.0.1" : host, port: port)
            return MJPEGSink(server: server, host: host.isEmpty ? "127.0.0.1" : host, quality: quality)
        }
        var isDirectory: ObjCBool = false
        if uri.hasSuffix("/") || (FileManager.default.fileExists(atPath: uri, isDirectory: &isDirectory) && isDirectory.boolValue) {
            try FileManager.default.createDirectory(atPath: uri, withIntermediateDirectories: true)
            return JPEGFileSink(pattern: (uri as NSString).appendingPathComponent("frame-%06d.jpg"), quality: quality)
        }
        let parent = (uri as NSString).deletingLastPathComponent
        if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        return JPEGFileSink(pattern: uri, quality: quality)
    }
}

/// Discards frames.
struct NullSink: FrameSink {
    func write(_ image: RGBImage, index: Int) async throws {}
    func close() async {}
}

/// Writes JPEG files; `%d`, `%i` or `%06d`-style placeholders take the frame number.
struct JPEGFileSink: FrameSink {
    let pattern: String
    let quality: Int

    func path(for index: Int) -> String {
        guard let range = pattern.range(of: #"%0?\d*[di]"#, options: .regularExpression) else { return pattern }
        let spec = pattern[range].dropFirst().dropLast()
        let width = Int(spec) ?? 0
        var number = String(index)
        if number.count < width { number = String(repeating: "0", count: width - number.count) + number }
        return pattern.replacingCharacters(in: range, with: number)
    }

    func write(_ image: RGBImage, index: Int) async throws {
        let jpeg = try ImageCodec.encodeJPEG(image, quality: quality)
        // Written whole to a temporary name and renamed, so readers never see half a file.
        let target = path(for: index)
        let partial = target + ".partial"
        try Data(jpeg).write(to: URL(fileURLWithPath: partial))
        guard rename(partial, target) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: partial)
            throw FrameSourceError.unsupported("cannot write \(target): \(reason)")
        }
    }

    func close() async {}
}

/// Publishes frames to an MJPEG preview server.
struct MJPEGSink: FrameSink, CustomStringConvertible {
    let server: MJPEGStreamServer
    let host: String
    let quality: Int

    var description: String { "MJPEG preview at http://\(host):\(server.port)/ (latest frame: /frame.jpg)" }

    func write(_ image: RGBImage, index: Int) async throws {
        try server.publish(image, quality: quality)
    }

    func close() async {
        await server.stop()
    }
}
