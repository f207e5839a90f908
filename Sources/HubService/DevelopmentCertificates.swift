import Crypto
import Foundation
import PrivateFiles
import SwiftASN1
import X509

/// The hub's TLS identity: a development CA and a server certificate it signed, generated once
/// and kept as PEM files in the data directory (clients trust `ca.pem`).
struct DevelopmentCertificates: Sendable {
    let caCertificatePEM: String
    let serverCertificatePEM: String
    let serverKeyPEM: String

    static let caFile = "ca.pem"
    static let caKeyFile = "ca-key.pem"
    static let serverFile = "server.pem"
    static let serverKeyFile = "server-key.pem"

    /// Loads the certificates from `directory`, generating them when missing (or when the server
    /// certificate does not cover `hostName` or expires within a day).
    static func loadOrCreate(in directory: URL, hostName: String) throws -> DevelopmentCertificates {
        try PrivateFiles.createDirectory(directory.path)
        func path(_ name: String) -> URL { directory.appendingPathComponent(name) }
        if let ca = try? String(contentsOf: path(caFile), encoding: .utf8),
           let server = try? String(contentsOf: path(serverFile), encoding: .utf8),
           let key = try? String(contentsOf: path(serverKeyFile), encoding: .utf8),
           let certificate = try? Certificate(pemEncoded: server),
           certificate.notValidAfter > Date() + 86_400,
           covers(certificate, hostName: hostName) {
            return DevelopmentCertificates(caCertificatePEM: ca, serverCertificatePEM: server, serverKeyPEM: key)
        }

        let caKey: P256.Signing.PrivateKey
        let caCertificate: Certificate
        if let keyPEM = try? String(contentsOf: path(caKeyFile), encoding: .utf8),
           let caPEM = try? String(contentsOf: path(caFile), encoding: .utf8),
           let key = try? P256.Signing.PrivateKey(pemRepresentation: keyPEM),
           let certificate = try? Certificate(pemEncoded: caPEM),
           certificate.notValidAfter > Date() + 86_400 {
            caKey = key
            caCertificate = certificate
        } else {
            caKey = P256.Signing.PrivateKey()
            caCertificate = try makeCA(key: caKey)
        }
        let serverKey = P256.Signing.PrivateKey()
        let serverCertificate = try makeServerCertificate(key: serverKey, hostName: hostName, ca: caCertificate, caKey: caKey)
        let result = DevelopmentCertificates(
            caCertificatePEM: try caCertificate.serializeAsPEM().pemString + "\n",
            serverCertificatePEM: try serverCertificate.serializeAsPEM().pemString + "\n",
            serverKeyPEM: serverKey.pemRepresentation + "\n"
        )
        try writePrivate(caKey.pemRepresentation + "\n", to: path(caKeyFile))
        try writePrivate(result.serverKeyPEM, to: path(serverKeyFile))
        try result.caCertificatePEM.write(to: path(caFile), atomically: true, encoding: .utf8)
        try result.serverCertificatePEM.write(to: path(serverFile), atomically: true, encoding: .utf8)
        return result
    }

    private static func writePrivate(_ text: String, to url: URL) throws {
        try PrivateFiles.write(Data(text.utf8), to: url.path)
    }

    private static func covers(_ certificate: Certificate, hostName: String) -> Bool {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return false }
        return names.contains { name in
            if case .dnsName(let dns) = name { return dns.lowercased() == hostName.lowercased() }
            if case .ipAddress(let bytes) = name { return ipBytes(hostName).map { ArraySlice($0) == bytes.bytes } ?? false }
            return false
        }
    }

    private static func ipBytes(_ host: String) -> [UInt8]? {
        let parts = host.split(separator: ".")
        guard parts.count == 4 else { return nil }
        let bytes = parts.compactMap { UInt8($0) }
        return bytes.count == 4 ? bytes : nil
    }

    private static func makeCA(key: P256.Signing.PrivateKey) throws -> Certificate {
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

    private static func makeServerCertificate(
        key: P256.Signing.PrivateKey, hostName: String, ca: Certificate, caKey: P256.Signing.PrivateKey
    ) throws -> Certificate {
        var names: [GeneralName] = [.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))]
        if hostName != "localhost" {
            if let ip = ipBytes(hostName) {
                names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(ip))))
            } else {
                names.append(.dnsName(hostName))
            }
        }
        let publicKey = Certificate.PublicKey(key.publicKey)
        let caPublicKey = Certificate.PublicKey(caKey.publicKey)
        let now = Date()
        return try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now - 3600,
            notValidAfter: now + 825 * 86_400,
            issuer: ca.subject,
            subject: try DistinguishedName {
                OrganizationName("EdgeFactor")
                CommonName(hostName)
            },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: caPublicKey).keyIdentifier)
            },
            issuerPrivateKey: Certificate.PrivateKey(caKey)
        )
    }
}
