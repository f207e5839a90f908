package import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files and folders that only the service's own user may read: keys, secrets, databases and
/// state. Each is created private from its first byte (folders 0700, files 0600, through the
/// mode given to `mkdir` and `open`), never created readable and tightened afterwards.
package enum PrivateFiles {
    /// Creates `path` and any missing parents as 0700 folders.
    ///
    /// - Parameters:
    ///   - path: the folder.
    ///   - tighten: also set an existing `path` to 0700 (for a component's own data folder;
    ///     never for a shared parent such as `/tmp`).
    package static func createDirectory(_ path: String, tighten: Bool = true) throws(PrivateFileError) {
        let standardized = URL(fileURLWithPath: path).standardizedFileURL.path
        var current = standardized.hasPrefix("/") ? "" : "."
        for component in standardized.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o700) != 0, errno != EEXIST {
                throw PrivateFileError("cannot create the folder \(current)", errno: errno)
            }
        }
        var info = stat()
        guard stat(standardized, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw PrivateFileError("\(standardized) exists but is not a folder", errno: ENOTDIR)
        }
        if tighten, info.st_mode & 0o077 != 0, chmod(standardized, 0o700) != 0 {
            throw PrivateFileError("cannot make the folder \(standardized) private (chmod 0700)", errno: errno)
        }
    }

    /// Replaces `path` atomically with `data`: a temporary file opened 0600 with `O_EXCL`,
    /// written, flushed to disk, then renamed over `path`.
    package static func write(_ data: Data, to path: String) throws(PrivateFileError) {
        let temporary = path + ".tmp-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PrivateFileError("cannot create \(temporary)", errno: errno) }
        var failure: PrivateFileError?
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count, let base = raw.baseAddress {
                let written = systemWrite(fd, base + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = PrivateFileError("cannot write \(temporary)", errno: errno)
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = PrivateFileError("cannot flush \(temporary)", errno: errno) }
        close(fd)
        if failure == nil, rename(temporary, path) != 0 { failure = PrivateFileError("cannot replace \(path)", errno: errno) }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    /// Makes sure the SQLite database at `path` exists as a 0600 file before SQLite opens it.
    ///
    /// SQLite gives the `-wal`, `-shm` and `-journal` files the mode of the database file, so
    /// they are private too. A database (or companion file) left readable by an older version
    /// is set to 0600.
    package static func prepareDatabase(at path: String) throws(PrivateFileError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PrivateFileError("cannot create the database file \(path)", errno: errno) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & 0o077 != 0, fchmod(fd, 0o600) != 0 {
            throw PrivateFileError("cannot make the database \(path) private (chmod 0600)", errno: errno)
        }
        for suffix in ["-wal", "-shm", "-journal"] {
            var companion = stat()
            if stat(path + suffix, &companion) == 0, companion.st_mode & 0o077 != 0, chmod(path + suffix, 0o600) != 0 {
                throw PrivateFileError("cannot make \(path + suffix) private (chmod 0600)", errno: errno)
            }
        }
    }

    /// The permission bits of `path` (e.g. `0o600`), or `nil` if it does not exist.
    package static func mode(of path: String) -> UInt16? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt16(info.st_mode & 0o7777)
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
