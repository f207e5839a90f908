#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on a private lock file, released by ``release()``.
struct FileLock {
    private let descriptor: Int32

    init(path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DevelopmentTLSError("cannot open the lock file \(path) (errno \(errno)); check that the folder is writable.") }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                close(fd)
                throw DevelopmentTLSError("cannot lock \(path) (errno \(errno)).")
            }
        }
        descriptor = fd
    }

    func release() {
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
