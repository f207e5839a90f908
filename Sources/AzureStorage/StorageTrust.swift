public import AsyncHTTPClient
import Foundation
import NIOSSL
import Synchronization

/// Which certificates this process's storage clients accept on `https` endpoints: the system's
/// trust store, plus every CA added here — the built-in storage's development CA (`ca.pem` in
/// the hub's `certs` folder, the same one that signs the hub's certificate) or a private CA.
///
/// Trust is per process, like the system trust store it extends, because connection strings
/// and storage grants carry endpoints but no CA: every client made from them (a device's
/// renewed grant included) then reaches the same service. Add the CA once, at start-up:
///
/// ```swift
/// try StorageTrust.add(caFile: "/var/lib/edgefactor/hub/certs/ca.pem")
/// let queue = QueueClient(connectionString: try StorageConnectionString(text), queueName: "jobs")
/// ```
public enum StorageTrust {
    private struct State {
        var certificates: [NIOSSLCertificate] = []
        var tlsConfiguration: TLSConfiguration?
    }

    private static let state = Mutex(State())

    /// Largest CA file read (a bundle of a few hundred certificates).
    static let maximumFileSize = 1024 * 1024

    /// Trusts the PEM certificates in `path` as well as the system's.
    /// - Throws: ``StorageConfigurationError`` when the file cannot be read or holds no PEM certificate.
    public static func add(caFile path: String) throws(StorageConfigurationError) {
        let url = URL(fileURLWithPath: path)
        guard let data = try? Data(contentsOf: url), data.count <= maximumFileSize, let text = String(data: data, encoding: .utf8) else {
            throw StorageConfigurationError("cannot read the storage CA file \(path): check the path (the built-in storage's development CA is certs/ca.pem in the hub's data directory) and that this user may read it.")
        }
        do {
            try add(certificatesPEM: text)
        } catch {
            throw StorageConfigurationError("the storage CA file \(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----).")
        }
    }

    /// Trusts the PEM certificates in `pem` as well as the system's.
    /// - Throws: ``StorageConfigurationError`` when `pem` holds no certificate.
    public static func add(certificatesPEM pem: String) throws(StorageConfigurationError) {
        guard let certificates = try? NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)), !certificates.isEmpty else {
            throw StorageConfigurationError("the storage CA text holds no PEM certificate (-----BEGIN CERTIFICATE-----).")
        }
        state.withLock { state in
            let new = certificates.filter { !state.certificates.contains($0) }
            guard !new.isEmpty else { return }
            state.certificates += new
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.additionalTrustRoots = [.certificates(state.certificates)]
            state.tlsConfiguration = configuration
        }
    }

    /// The client settings for `https` requests: nil (the system's roots) until a CA is added.
    static var tlsConfiguration: TLSConfiguration? { state.withLock { $0.tlsConfiguration } }

    /// The client that `https` requests use instead of `HTTPClient.shared`: it reports a failed
    /// connection or TLS handshake at once, so that an untrusted certificate is a clear error
    /// and not a wait until the deadline (the shared client retries connecting until then);
    /// ``RetryPolicy`` still retries a refused connection.
    public static let httpsClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()
}
