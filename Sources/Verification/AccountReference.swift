import Crypto
import Foundation

/// The opaque name of an account on an edge device: 32 hex digits derived from the username, so
/// that templates are bound to one account without the device learning who signs in.
public enum AccountReference {
    /// The reference of `username` (the first 128 bits of a domain-separated SHA-256).
    public static func make(username: String) -> String {
        let digest = SHA256.hash(data: Data("edgefactor-account/1\n\(username)".utf8))
        return digest.prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}
