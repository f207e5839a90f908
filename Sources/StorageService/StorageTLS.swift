/// Where the storage service's TLS certificate comes from when it serves HTTPS (as the Azure
/// Storage emulator does with `--cert`/`--key`).
public enum StorageTLS: Sendable, Hashable {
    /// A server certificate (SAN `localhost`, `127.0.0.1` and the host name) signed by the
    /// development CA kept in `caDirectory` — the hub's `certs` folder, so that its `ca.pem`
    /// trusts both. The CA is made there when missing; the server certificate and its key live
    /// in the storage's data directory (`certs/`).
    case developmentCA(caDirectory: String)
    /// PEM files of a certificate chain (leaf first) and its private key (e.g. from your own CA).
    case files(certificateChain: String, privateKey: String)
}
