import ArgumentParser
import AzureStorage
import Foundation
import HubService
import Logging
import ServiceLifecycle
import StorageService

/// `edgefactor storage`: Run the built-in storage service (Azure Blob and Queue REST).
struct StorageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Run the built-in storage service (Azure Blob and Queue REST).",
        discussion: """
            Serves the Azure Storage Blob and Queue REST APIs with path-style URLs
            (http://HOST:PORT/ACCOUNT/...), so the Azure SDKs and EdgeFactor's own clients work against it
            with the connection string it prints. Data lives in --data-dir (SQLite + blob files).
            The development account (devstoreaccount1) is on unless --account replaces it.

            With --tls (or --certificate/--private-key) it serves HTTPS, as Azurite does with --cert/--key. \
            --tls signs a certificate with the development CA the hub makes (in the hub's certs folder, so \
            one ca.pem trusts both); clients trust it with --storage-ca-file (the Python SDKs: connection_verify).
            """
    )

    @Option(help: "Directory for the database and blob files (default: $EDGEFACTOR_HOME/storage, else ./var/storage).")
    var dataDir: String?

    @Option(help: "Address to listen on; anything but loopback needs TLS and an --account of your own, or --allow-insecure-remote.")
    var host = "127.0.0.1"

    @Option(help: "Host name in the endpoints it prints and in the development certificate (default: --host).")
    var hostName: String?

    @Option(help: "Blob endpoint port (0 = any free port).")
    var blobPort = 10000

    @Option(help: "Queue endpoint port (0 = any free port).")
    var queuePort = 10001

    @Option(name: .customLong("account"), help: "An account as name:base64key[:base64key2]; repeatable. Replaces the development account.")
    var accounts: [String] = []

    @Option(help: "Largest blob accepted, in MiB.")
    var maxBlobSizeMib = 1024

    @Flag(help: "Serve HTTPS with a certificate signed by the development CA in --ca-dir (made there if missing).")
    var tls = false

    @Option(help: "Folder of the development CA for --tls (default: the hub's, $EDGEFACTOR_HOME/hub/certs, else ./var/hub/certs).")
    var caDir: String?

    @Option(help: "Serve HTTPS with this PEM certificate chain (leaf first) instead of the development certificate.")
    var certificate: String?

    @Option(help: "PEM private key of --certificate.")
    var privateKey: String?

    @OptionGroup var listener: ListenerOptions

    @Option(help: "Address for /healthz, /readyz and /metrics (plain HTTP), as host:port; 'off' for none. Off loopback it needs --allow-insecure-remote.")
    var metricsAddress = "127.0.0.1:9470"

    @Flag(inversion: .prefixedNo, help: "Log one line per request at info (method, path without the query, status, duration).")
    var accessLog = true

    @Flag(help: "Print the connection string for these options and exit without serving.")
    var printConnectionString = false

    @OptionGroup var logging: EdgeLogOptions

    @OptionGroup var config: ConfigOption

    func validate() throws {
        for port in [blobPort, queuePort] where !(0...65535).contains(port) {
            throw ValidationError("ports must be 0…65535 (got \(port)).")
        }
        guard maxBlobSizeMib > 0 else { throw ValidationError("--max-blob-size-mib must be positive.") }
        guard (certificate == nil) == (privateKey == nil) else {
            throw ValidationError("--certificate and --private-key go together.")
        }
        if certificate != nil, tls || caDir != nil {
            throw ValidationError("--certificate/--private-key replace the development certificate: leave out --tls and --ca-dir.")
        }
        _ = try OperatorOptions.endpoint(metricsAddress, option: "--metrics-address", allowRemote: listener.allowInsecureRemote)
    }

    /// The TLS set-up the options ask for; nil for plain HTTP. The development CA defaults to the
    /// hub's, under `home`.
    func tlsSource(home: String?) -> StorageTLS? {
        if let certificate, let privateKey { return .files(certificateChain: certificate, privateKey: privateKey) }
        guard tls || caDir != nil else { return nil }
        return .developmentCA(caDirectory: caDir ?? HubConfiguration.defaultDataDirectory(home: home).appendingPathComponent("certs").path)
    }

    func run() async throws {
        var parsedAccounts: [StorageAccount] = []
        for text in accounts {
            do {
                parsedAccounts.append(try StorageAccount(parsing: text))
            } catch {
                throw ValidationError(error.message)
            }
        }
        let logger = logging.bootstrap(label: "edgefactor.storage")
        let settings = try await config.settings()
        let directory = dataDir ?? Self.defaultDataDirectory(home: settings.home)
        var configuration = StorageServerConfiguration(
            dataDirectory: directory, host: host, blobPort: blobPort, queuePort: queuePort,
            accounts: parsedAccounts.isEmpty ? [.development] : parsedAccounts,
            maximumBlobSize: maxBlobSizeMib * 1024 * 1024,
            listenerLimits: listener.limits, allowInsecureRemote: listener.allowInsecureRemote,
            hostName: hostName, tls: tlsSource(home: settings.home), logger: logger
        )
        configuration.metricsEndpoint = try OperatorOptions.endpoint(metricsAddress, option: "--metrics-address", allowRemote: listener.allowInsecureRemote)
        configuration.accessLog = accessLog
        if printConnectionString {
            guard blobPort != 0, queuePort != 0 else {
                throw ValidationError("--print-connection-string needs fixed ports (not 0).")
            }
            let account = configuration.accounts[0]
            let name = hostName ?? host
            let hostText = name.contains(":") ? "[\(name)]" : name
            let scheme = configuration.tls == nil ? "http" : "https"
            var parts = ["DefaultEndpointsProtocol=\(scheme)", "AccountName=\(account.name)"]
            if let key = account.keys.first { parts.append("AccountKey=\(key)") }
            parts.append("BlobEndpoint=\(scheme)://\(hostText):\(blobPort)/\(account.name)")
            parts.append("QueueEndpoint=\(scheme)://\(hostText):\(queuePort)/\(account.name)")
            print(parts.joined(separator: ";") + ";")
            return
        }
        let announced = configuration
        let server = StorageServer(configuration: configuration) { server in
            Self.announce(server, configuration: announced)
        }
        let group = ServiceGroup(configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch let error as StorageServerError {
            throw ValidationError(error.message)
        }
    }

    /// `<home>/storage`, else `./var/storage` (as an absolute path).
    static func defaultDataDirectory(home: String?) -> String {
        if let home { return home + "/storage" }
        return FileManager.default.currentDirectoryPath + "/var/storage"
    }

    /// Prints where the server listens, unbuffered, so a supervising process sees it at once.
    static func announce(_ server: RunningStorageServer, configuration: StorageServerConfiguration) {
        var lines = [
            "storage: blob endpoint \(server.blobEndpoint.absoluteString)",
            "storage: queue endpoint \(server.queueEndpoint.absoluteString)",
            "storage: data directory \(configuration.dataDirectory)",
        ]
        if let caFile = server.caCertificateFile {
            lines.append("storage: CA certificate \(caFile.path) (clients: --storage-ca-file, or connection_verify in the Python SDKs)")
        }
        if let line = OperatorOptions.line("storage", host: configuration.metricsEndpoint?.host ?? "", port: server.metricsPort) { lines.append(line) }
        if configuration.accounts[0].name == StorageConnectionString.developmentAccountName {
            lines.append("storage: connection string \(server.connectionString)")
        } else {
            lines.append("storage: account \(configuration.accounts[0].name) (its connection string: add --print-connection-string)")
        }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
