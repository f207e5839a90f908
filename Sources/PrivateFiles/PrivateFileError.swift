#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private file or folder could not be created; the message names the path and the system's reason.
package struct PrivateFileError: Error, Sendable, CustomStringConvertible {
    /// What failed and why, e.g. "cannot create the folder /srv/ef: Permission denied".
    package var message: String

    package init(_ what: String, errno code: Int32) {
        message = "\(what): \(String(cString: strerror(code))). Check the path and that this user owns it."
    }

    package var description: String { message }
}
