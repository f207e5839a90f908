import Crypto
import EdgeFactorSupport
public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A random symmetric key shared by two components (front-end and agent per device, module and agent
/// per module). Only its HMACs travel; the key itself never leaves the machines it was provisioned on.
public struct SharedSecret: Sendable {
    /// The smallest key accepted: 128 bits.
    public static let minimumByteCount = 16

    let key: SymmetricKey

    /// A secret from its base64 text (standard or URL alphabet, padding optional; whitespace trimmed).
    public init(base64: String) throws(VerificationError) {
        guard let bytes = Base64URL.decodeLenient(base64.trimmingCharacters(in: .whitespacesAndNewlines)),
              bytes.count >= Self.minimumByteCount
        else { throw .weakSecret }
        key = SymmetricKey(data: bytes)
    }

    /// A secret read from a file holding its base64 text (as `edgefactor secrets` writes it).
    /// Reads a secret file (base64 text). When the file exists but cannot be read, the error says
    /// that it must belong to the user this process runs as (secret files are mode 0600).
    public init(contentsOf file: URL) throws {
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            let exists = FileManager.default.fileExists(atPath: file.path)
            throw SecretsError(exists
                ? "cannot read the secret \(file.path): secret files are private (0600, in 0700 folders) and must belong to the user this runs as (uid \(getuid())); chown them, and their folders, to that user"
                : "no secret file at \(file.path): create it with `edgefactor secrets new`, or copy it there from the machine that holds it")
        }
        try self.init(base64: text)
    }

    /// A new secret of 256 random bits from the system's CSPRNG.
    public static func generate() -> SharedSecret {
        SharedSecret(key: SymmetricKey(size: .bits256))
    }

    init(key: SymmetricKey) { self.key = key }

    /// The secret as standard base64 text, for provisioning files and environment variables.
    public var base64: String {
        key.withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// A short, non-secret fingerprint (first 8 hex digits of SHA-256) for logs and admin listings.
    public var fingerprint: String {
        let digest = key.withUnsafeBytes { SHA256.hash(data: $0) }
        return digest.prefix(4).map { String(format: "%02x", $0) }.joined()
    }
}
