import Crypto
import EdgeFactorSupport
import Foundation

/// Random tokens and constant-time comparison.
enum RandomToken {
    /// `bytes` random bytes from the system generator, base64url without padding (cookie-safe).
    static func make(bytes: Int = 32) -> String {
        Base64URL.random(byteCount: bytes)
    }

    /// SHA-256 of a token, hex; sessions are stored under this so that the table itself holds
    /// nothing a thief could replay.
    static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Compares two strings in time that depends only on their lengths.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        ConstantTime.equals(a, b)
    }
}
