/// A certificate, key or TLS set-up could not be made or used; the message says why.
package struct DevelopmentTLSError: Error, Sendable, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
