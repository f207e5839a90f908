import DevelopmentTLS
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import ListenerSafety
import NIOSSL

/// The TLS identity the storage service serves with, when ``StorageServerConfiguration/tls`` is set.
struct StorageTLSIdentity: Sendable {
    let tlsConfiguration: TLSConfiguration
    /// The CA clients should trust: the development CA, or the chain given.
    let caCertificatePEM: String
    /// The development CA's `ca.pem`; nil for a chain given as files.
    let caCertificateFile: URL?

    /// Loads (or, for the development CA, makes) the certificate and key.
    /// - Throws: ``StorageServerError`` saying which file is wrong and how to fix it.
    static func load(_ tls: StorageTLS, hostName: String, dataDirectory: String) throws(StorageServerError) -> StorageTLSIdentity {
        let chainPEM: String
        let keyPEM: String
        let caPEM: String
        var caFile: URL?
        switch tls {
        case .developmentCA(let caDirectory):
            let caFolder = URL(fileURLWithPath: caDirectory)
            do {
                let certificates = try DevelopmentCertificates.loadOrCreate(
                    caDirectory: caFolder, serverDirectory: URL(fileURLWithPath: dataDirectory).appendingPathComponent("certs"), hostName: hostName
                )
                chainPEM = certificates.serverCertificatePEM + certificates.caCertificatePEM
                keyPEM = certificates.serverKeyPEM
                caPEM = certificates.caCertificatePEM
            } catch {
                throw StorageServerError("cannot load or make the development certificate with the CA in \(caDirectory): \(error). Check that the folder is writable by this user, or pass --certificate/--private-key.")
            }
            caFile = caFolder.appendingPathComponent(DevelopmentCertificates.caFile)
        case .files(let chainPath, let keyPath):
            guard let chain = try? String(contentsOfFile: chainPath, encoding: .utf8) else {
                throw StorageServerError("cannot read the certificate chain \(chainPath): check the path given with --certificate.")
            }
            guard let key = try? String(contentsOfFile: keyPath, encoding: .utf8) else {
                throw StorageServerError("cannot read the private key \(keyPath): check the path given with --private-key and that this user may read it.")
            }
            chainPEM = chain
            keyPEM = key
            caPEM = chain
        }
        do {
            return StorageTLSIdentity(
                tlsConfiguration: try ServerTLSConfiguration.make(chainPEM: chainPEM, keyPEM: keyPEM), caCertificatePEM: caPEM, caCertificateFile: caFile
            )
        } catch {
            throw StorageServerError("\(error.message); pass a PEM certificate chain with --certificate and its PEM key with --private-key.")
        }
    }

    /// An HTTP/1 server over TLS with `limits`' timeouts, answering plain HTTP on the port with
    /// a readable 400.
    func server(limits: ListenerLimits) -> HTTPServerBuilder {
        let configuration = limits.http1Configuration
        let tls = tlsConfiguration
        return HTTPServerBuilder { responder in
            PlainHTTPRefusingChannel(base: try TLSChannel(HTTP1Channel(responder: responder, configuration: configuration), tlsConfiguration: tls))
        }
    }
}
