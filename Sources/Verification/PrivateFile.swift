public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files only their owner can read, created so from the first byte (mode 0600 at open, never a
/// chmod after the data is written) and replaced atomically, so a crash leaves the old file or the
/// new one, never half of one.
public enum PrivateFile {
    /// Writes `data` to `url` through a temporary file in the same folder (created 0700 if missing).
    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UInt64.random(in: 0...UInt64.max)).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PrivateFileError(path: temporary.path, operation: "create", code: errno) }
        var ok = false
        defer {
            if !ok { unlink(temporary.path) }
        }
        let written = data.withUnsafeBytes { buffer -> Bool in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, base + offset, buffer.count - offset)
                if n < 0 { if errno == EINTR { continue }; return false }
                offset += n
            }
            return true
        }
        let code = errno
        guard written, fsync(fd) == 0 else {
            close(fd)
            throw PrivateFileError(path: temporary.path, operation: "write", code: code)
        }
        close(fd)
        guard rename(temporary.path, url.path) == 0 else { throw PrivateFileError(path: url.path, operation: "replace", code: errno) }
        ok = true
    }
}

/// A private file could not be written.
public struct PrivateFileError: Error, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var code: Int32
    public var description: String {
        "cannot \(operation) \(path): \(String(cString: strerror(code))); check that the folder exists and this user may write it"
    }
}
