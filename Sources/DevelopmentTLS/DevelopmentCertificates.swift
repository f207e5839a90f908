import Crypto
package import Foundation
import PrivateFiles
import SwiftASN1
import X509

/// A built-in server's TLS identity: a server certificate signed by the ``DevelopmentCA``, kept
/// as PEM files (`server.pem`, `server-key.pem` 0600) and reused while it is valid, covers the
/// host name and was signed by the CA in force.
package struct DevelopmentCertificates: Sendable {
    package let caCertificatePEM: String
    package let serverCertificatePEM: String
    package let serverKeyPEM: String

    package static let caFile = DevelopmentCA.certificateFile
    package static let serverFile = "server.pem"
    package static let serverKeyFile = "server-key.pem"

    /// The hub's layout: the CA and the server certificate in one folder.
    package static func loadOrCreate(in directory: URL, hostName: String) throws -> DevelopmentCertificates {
        try loadOrCreate(caDirectory: directory, serverDirectory: directory, hostName: hostName)
    }

    /// Loads the server certificate from `serverDirectory`, issuing a new one with the CA in
    /// `caDirectory` when it is missing, expires within a day, does not cover `hostName`
    /// (besides `localhost` and `127.0.0.1`) or was signed by another CA.
    package static func loadOrCreate(caDirectory: URL, serverDirectory: URL, hostName: String) throws -> DevelopmentCertificates {
        let ca = try DevelopmentCA.loadOrCreate(in: caDirectory)
        try PrivateFiles.createDirectory(serverDirectory.path)
        func path(_ name: String) -> URL { serverDirectory.appendingPathComponent(name) }
        if let server = try? String(contentsOf: path(serverFile), encoding: .utf8),
           let key = try? String(contentsOf: path(serverKeyFile), encoding: .utf8),
           let certificate = try? Certificate(pemEncoded: server),
           let privateKey = try? P256.Signing.PrivateKey(pemRepresentation: key),
           certificate.publicKey == Certificate.PublicKey(privateKey.publicKey),
           certificate.notValidAfter > Date() + 86_400,
           ca.certificate.publicKey.isValidSignature(certificate.signature, for: certificate),
           covers(certificate, hostName: hostName) {
            return DevelopmentCertificates(caCertificatePEM: ca.certificatePEM, serverCertificatePEM: server, serverKeyPEM: key)
        }
        let serverKey = P256.Signing.PrivateKey()
        let serverCertificate = try makeServerCertificate(key: serverKey, hostName: hostName, ca: ca)
        let result = DevelopmentCertificates(
            caCertificatePEM: ca.certificatePEM,
            serverCertificatePEM: try serverCertificate.serializeAsPEM().pemString + "\n",
            serverKeyPEM: serverKey.pemRepresentation + "\n"
        )
        try PrivateFiles.write(Data(result.serverKeyPEM.utf8), to: path(serverKeyFile).path)
        try result.serverCertificatePEM.write(to: path(serverFile), atomically: true, encoding: .utf8)
        return result
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

    private static func makeServerCertificate(key: P256.Signing.PrivateKey, hostName: String, ca: DevelopmentCA) throws -> Certificate {
        var names: [GeneralName] = [.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))]
        if hostName != "localhost", hostName != "127.0.0.1" {
            if let ip = ipBytes(hostName) {
                names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(ip))))
            } else {
                names.append(.dnsName(hostName))
            }
        }
        let publicKey = Certificate.PublicKey(key.publicKey)
        let caPublicKey = Certificate.PublicKey(ca.key.publicKey)
        let now = Date()
        return try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now - 3600,
            notValidAfter: now + 825 * 86_400,
            issuer: ca.certificate.subject,
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
            issuerPrivateKey: Certificate.PrivateKey(ca.key)
        )
    }
}
