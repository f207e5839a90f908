import Crypto
import Foundation
import NIOCore
import PrivateFiles
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written by ``BlobFiles``: its id (relative name), size and MD5.
struct BlobFile: Sendable {
    var id: String
    var size: Int
    var md5: [UInt8]
}

/// Blob bytes on disk. Every file is named by a random id (never by the blob name, so no name
/// can reach outside the data directory) and written atomically: temporary file, fsync,
/// rename, fsync of the directory. A file is visible to readers only once the database row that
/// references it is committed; files no row references are removed at start-up.
struct BlobFiles: Sendable {
    let root: String
    let temporary: String

    init(directory: String) throws {
        root = directory
        temporary = directory + "/.incoming"
        for path in [root, temporary] {
            try PrivateFiles.createDirectory(path)
        }
    }

    func path(of id: String) -> String { root + "/" + id }

    /// Streams `body` into a new file, bounded by `limit` bytes.
    /// - Throws: 413 `RequestBodyTooLarge` beyond the limit; file-system errors as 500.
    func write<Body: AsyncSequence>(_ body: Body, limit: Int) async throws -> BlobFile where Body.Element == ByteBuffer {
        let id = UUID().uuidString.lowercased()
        let temporaryPath = temporary + "/" + id
        let fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.ioError("create", temporaryPath) }
        var closed = false
        do {
            var md5 = Insecure.MD5()
            var size = 0
            for try await chunk in body {
                size += chunk.readableBytes
                guard size <= limit else {
                    throw StorageServiceError(413, .requestBodyTooLarge, "The request body is larger than the \(limit)-byte limit of this service.")
                }
                try chunk.withUnsafeReadableBytes { buffer throws(StorageServiceError) in
                    md5.update(bufferPointer: buffer)
                    try Self.writeAll(fd, buffer, path: temporaryPath)
                }
            }
            try await Self.sync(fd, path: temporaryPath)
            close(fd)
            closed = true
            try commit(temporaryPath, id: id)
            return BlobFile(id: id, size: size, md5: Array(md5.finalize()))
        } catch {
            if !closed { close(fd) }
            unlink(temporaryPath)
            throw error
        }
    }

    /// Concatenates existing files into a new one (Put Block List).
    func concatenate(_ ids: [String]) async throws -> BlobFile {
        let sources = ids.map(path(of:))
        let chunks = AsyncFileChunks(paths: sources)
        return try await write(chunks, limit: .max)
    }

    private func commit(_ temporaryPath: String, id: String) throws {
        let finalPath = path(of: id)
        guard rename(temporaryPath, finalPath) == 0 else { throw Self.ioError("rename", finalPath) }
        let dir = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }

    /// Removes files (after the rows that referenced them are gone). Missing files are ignored.
    func remove(_ ids: [String]) {
        for id in ids where !id.isEmpty { unlink(path(of: id)) }
    }

    /// Removes leftovers of interrupted writes and files no row references.
    func collectGarbage(referenced: Set<String>) -> Int {
        var removed = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] {
            unlink(temporary + "/" + name)
            removed += 1
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where !name.hasPrefix(".") && !referenced.contains(name) {
            unlink(path(of: name))
            removed += 1
        }
        return removed
    }

    /// Opens a file for reading; the descriptor stays valid even if the file is replaced meanwhile.
    func openForReading(_ id: String) -> Int32? {
        let fd = open(path(of: id), O_RDONLY | O_CLOEXEC)
        return fd >= 0 ? fd : nil
    }

    /// Reads up to `length` bytes at `offset`.
    static func read(_ fd: Int32, offset: Int, length: Int, allocator: ByteBufferAllocator = ByteBufferAllocator()) throws -> ByteBuffer {
        var buffer = allocator.buffer(capacity: length)
        var total = 0
        while total < length {
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length - total) { pointer in
                let result = pread(fd, pointer.baseAddress, length - total, off_t(offset + total))
                return result > 0 ? result : 0
            }
            if count == 0 { break }
            total += count
        }
        return buffer
    }

    private static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws(StorageServiceError) {
        guard var pointer = buffer.baseAddress else { return }
        var remaining = buffer.count
        while remaining > 0 {
            let written = Glibc.write(fd, pointer, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                throw ioError("write", path)
            }
            remaining -= written
            pointer += written
        }
    }

    /// fsync on a Dispatch thread: it can take milliseconds and must not block Swift's
    /// cooperative thread pool.
    private static func sync(_ fd: Int32, path: String) async throws {
        let result: Int32 = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: fsync(fd)) }
        }
        guard result == 0 else { throw ioError("fsync", path) }
    }

    static func ioError(_ operation: String, _ path: String) -> StorageServiceError {
        let reason = String(cString: strerror(errno))
        return StorageServiceError(500, .internalError, "The service could not \(operation) a blob file (\(reason)); check free space and permissions of the data directory.")
    }
}

/// The contents of several files, in order, as 1 MiB chunks.
struct AsyncFileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let paths: [String]

    func makeAsyncIterator() -> Iterator { Iterator(paths: paths) }

    struct Iterator: AsyncIteratorProtocol {
        let paths: [String]
        var index = 0
        var fd: Int32 = -1
        var offset = 0

        mutating func next() async throws -> ByteBuffer? {
            while index < paths.count {
                if fd < 0 {
                    fd = open(paths[index], O_RDONLY | O_CLOEXEC)
                    guard fd >= 0 else { throw BlobFiles.ioError("open", paths[index]) }
                    offset = 0
                }
                let chunk = try BlobFiles.read(fd, offset: offset, length: 1 << 20)
                if chunk.readableBytes > 0 {
                    offset += chunk.readableBytes
                    return chunk
                }
                close(fd)
                fd = -1
                index += 1
            }
            return nil
        }
    }
}
