import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix

/// bcrypt password hashes, computed off the cooperative thread pool.
///
/// bcrypt reads at most 72 bytes, so a long password (NIST asks that at least 64 characters be
/// accepted, and characters may take 4 bytes each) would be silently truncated. The hash input is
/// therefore HMAC-SHA256(password) under a fixed, EdgeFactor-specific key, base64-encoded (44 ASCII
/// bytes, no NUL). The fixed key is domain separation: an unsalted SHA-256 list leaked elsewhere
/// cannot be matched against our hashes ("password shucking").
struct PasswordHasher: Sendable {
    /// bcrypt's cost (log2 rounds). 12 in production; tests use the minimum, 4.
    let cost: UInt8

    static let prefix = "ef1$"

    init(cost: UInt8 = 12) {
        self.cost = min(max(cost, 4), 31)
    }

    /// The stored form of `password`.
    func hash(_ password: String) async throws -> String {
        let input = Self.bcryptInput(password)
        let cost = self.cost
        let digest = try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(input, cost: cost) }
        return Self.prefix + digest
    }

    /// Whether `password` matches `stored`. bcrypt's own comparison runs over the whole hash.
    func verify(_ password: String, against stored: String) async throws -> Bool {
        guard stored.hasPrefix(Self.prefix) else { return false }
        let hash = String(stored.dropFirst(Self.prefix.count))
        let input = Self.bcryptInput(password)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(input, hash: hash) }
    }

    /// A hash of a random password with this cost, used for unknown user names so that a
    /// failed sign-in takes the same time whether or not the account exists.
    func makeDummyHash() async throws -> String {
        try await hash(UUID().uuidString + UUID().uuidString)
    }

    private static let domainKey = SymmetricKey(data: Data("EdgeFactor front-end password v1".utf8))

    private static func bcryptInput(_ password: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(password.utf8), using: domainKey)
        return Data(mac).base64EncodedString()
    }
}
