package import Crypto
package import Foundation
import PrivateFiles
import SwiftASN1
package import X509

/// The development CA that the built-in servers sign their certificates with: generated once and
/// kept as `ca.pem` (what clients trust) and `ca-key.pem` (0600) in one folder, which the hub and
/// the storage service can share, so that one CA file trusts both.
package struct DevelopmentCA: Sendable {
    package let certificate: Certificate
    package let key: P256.Signing.PrivateKey
    /// The CA certificate as PEM text (ends with a newline).
    package let certificatePEM: String

    package static let certificateFile = "ca.pem"
    package static let keyFile = "ca-key.pem"
    static let lockFile = "ca.lock"

    /// The CA kept in `directory` (created 0700 if missing), generated when there is none or it
    /// expires within a day. Holds an exclusive lock on `ca.lock` while it reads or writes, so a
    /// hub and a storage service starting at once end up with the same CA.
    package static func loadOrCreate(in directory: URL) throws -> DevelopmentCA {
        try PrivateFiles.createDirectory(directory.path)
        let lock = try FileLock(path: directory.appendingPathComponent(lockFile).path)
        defer { lock.release() }
        func path(_ name: String) -> URL { directory.appendingPathComponent(name) }
        if let keyPEM = try? String(contentsOf: path(keyFile), encoding: .utf8),
           let caPEM = try? String(contentsOf: path(certificateFile), encoding: .utf8),
           let key = try? P256.Signing.PrivateKey(pemRepresentation: keyPEM),
           let certificate = try? Certificate(pemEncoded: caPEM),
           certificate.notValidAfter > Date() + 86_400,
           certificate.publicKey == Certificate.PublicKey(key.publicKey) {
            return DevelopmentCA(certificate: certificate, key: key, certificatePEM: caPEM)
        }
        let key = P256.Signing.PrivateKey()
        let certificate = try makeCertificate(key: key)
        let pem = try certificate.serializeAsPEM().pemString + "\n"
        try PrivateFiles.write(Data((key.pemRepresentation + "\n").utf8), to: path(keyFile).path)
        try pem.write(to: path(certificateFile), atomically: true, encoding: .utf8)
        return DevelopmentCA(certificate: certificate, key: key, certificatePEM: pem)
    }

    private static func makeCertificate(key: P256.Signing.PrivateKey) throws -> Certificate {
        let name = try DistinguishedName {
            OrganizationName("EdgeFactor")
            CommonName("EdgeFactor Development CA \(UUID().uuidString.prefix(8))")
        }
        let publicKey = Certificate.PublicKey(key.publicKey)
        let now = Date()
        return try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now - 3600,
            notValidAfter: now + 10 * 365 * 86_400,
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
    }
}
