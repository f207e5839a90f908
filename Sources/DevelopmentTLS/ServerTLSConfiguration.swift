package import NIOSSL

/// The TLS settings the built-in servers serve with.
package enum ServerTLSConfiguration {
    /// A server configuration for a PEM certificate chain (leaf first) and its PEM private key:
    /// TLS 1.2 or later (the Azure Python SDKs' floor), and a short close so that a peer that
    /// never sends close_notify does not hold a closing connection for NIOSSL's default 5 s.
    /// - Throws: ``DevelopmentTLSError`` when either is not usable PEM.
    package static func make(chainPEM: String, keyPEM: String) throws(DevelopmentTLSError) -> TLSConfiguration {
        var configuration: TLSConfiguration
        do {
            configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8)).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
            )
        } catch {
            throw DevelopmentTLSError("the TLS certificate or key is not usable PEM: \(error)")
        }
        configuration.minimumTLSVersion = .tlsv12
        configuration.shutdownTimeout = .milliseconds(250)
        return configuration
    }
}
