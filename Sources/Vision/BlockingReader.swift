import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads exact byte counts from a file descriptor (a pipe) without blocking Swift's cooperative
/// threads: each blocking read runs on NIO's shared thread pool.
final class BlockingReader: @unchecked Sendable {
    // @unchecked: used by one actor at a time (its owner), which awaits every read before the
    // next, so the buffer is never touched concurrently.
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0

    init(fileDescriptor: Int32) {
        self.fd = fileDescriptor
    }

    /// The next `count` bytes, or nil at end of stream (a partial tail is dropped and reported as nil).
    func read(exactly count: Int) async throws -> [UInt8]? {
        try await NIOThreadPool.singleton.runIfActive { self.readBlocking(count) }
    }

    /// Bytes up to and including the next `whitespace` run after a token, for small text headers.
    func readToken(maximumLength: Int = 32) async throws -> String? {
        try await NIOThreadPool.singleton.runIfActive { () -> String? in
            var token: [UInt8] = []
            while true {
                guard let byte = self.readBlocking(1)?.first else { return token.isEmpty ? nil : String(decoding: token, as: UTF8.self) }
                let isSpace = byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
                if isSpace {
                    if token.isEmpty { continue }
                    return String(decoding: token, as: UTF8.self)
                }
                token.append(byte)
                if token.count > maximumLength { return String(decoding: token, as: UTF8.self) }
            }
        }
    }

    private func readBlocking(_ count: Int) -> [UInt8]? {
        while buffer.count - start < count {
            if start > 0 && start >= buffer.count / 2 {
                buffer.removeFirst(start)
                start = 0
            }
            let chunk = max(65_536, count - (buffer.count - start))
            let old = buffer.count
            buffer.reserveCapacity(old + chunk)
            var got = 0
            buffer.append(contentsOf: repeatElement(0, count: chunk))
            buffer.withUnsafeMutableBytes { raw in
                repeat {
                    got = Glibc.read(fd, raw.baseAddress.map { $0 + old }, chunk)
                } while got < 0 && errno == EINTR
            }
            buffer.removeLast(chunk - max(got, 0))
            if got <= 0 { return nil }
        }
        let result = Array(buffer[start..<(start + count)])
        start += count
        return result
    }
}
