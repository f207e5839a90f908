import ArgumentParser
import AzureStorage
import Foundation
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
            """
    )

    @Option(help: "Directory for the database and blob files (default: $EDGEFACTOR_HOME/storage, else ./var/storage).")
    var dataDir: String?

    @Option(help: "Address to listen on; anything but loopback needs --allow-insecure-remote (plain HTTP).")
    var host = "127.0.0.1"

    @Option(help: "Blob endpoint port (0 = any free port).")
    var blobPort = 10000

    @Option(help: "Queue endpoint port (0 = any free port).")
    var queuePort = 10001

    @Option(name: .customLong("account"), help: "An account as name:base64key[:base64key2]; repeatable. Replaces the development account.")
    var accounts: [String] = []

    @Option(help: "Largest blob accepted, in MiB.")
    var maxBlobSizeMib = 1024

    @OptionGroup var listener: ListenerOptions

    @Flag(help: "Print the connection string for these options and exit without serving.")
    var printConnectionString = false

    @OptionGroup var logging: EdgeLogOptions

    func validate() throws {
        for port in [blobPort, queuePort] where !(0...65535).contains(port) {
            throw ValidationError("ports must be 0…65535 (got \(port)).")
        }
        guard maxBlobSizeMib > 0 else { throw ValidationError("--max-blob-size-mib must be positive.") }
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
        let directory = dataDir ?? Self.defaultDataDirectory()
        let configuration = StorageServerConfiguration(
            dataDirectory: directory, host: host, blobPort: blobPort, queuePort: queuePort,
            accounts: parsedAccounts.isEmpty ? [.development] : parsedAccounts,
            maximumBlobSize: maxBlobSizeMib * 1024 * 1024,
            listenerLimits: listener.limits, allowInsecureRemote: listener.allowInsecureRemote, logger: logger
        )
        if printConnectionString {
            guard blobPort != 0, queuePort != 0 else {
                throw ValidationError("--print-connection-string needs fixed ports (not 0).")
            }
            let account = configuration.accounts[0]
            let hostText = host.contains(":") ? "[\(host)]" : host
            var parts = ["DefaultEndpointsProtocol=http", "AccountName=\(account.name)"]
            if let key = account.keys.first { parts.append("AccountKey=\(key)") }
            parts.append("BlobEndpoint=http://\(hostText):\(blobPort)/\(account.name)")
            parts.append("QueueEndpoint=http://\(hostText):\(queuePort)/\(account.name)")
            print(parts.joined(separator: ";") + ";")
            return
        }
        let service = StorageServerRunner(configuration: configuration)
        let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    static func defaultDataDirectory() -> String {
        if let home = ProcessInfo.processInfo.environment["EDGEFACTOR_HOME"], !home.isEmpty {
            return home + "/storage"
        }
        return FileManager.default.currentDirectoryPath + "/var/storage"
    }
}

/// Runs a ``StorageServer`` until the process is asked to stop.
struct StorageServerRunner: Service {
    let configuration: StorageServerConfiguration

    func run() async throws {
        let server: StorageServer
        do {
            server = try await StorageServer.start(configuration)
        } catch let error as StorageServerError {
            throw ValidationError(error.message)
        }
        var lines = [
            "storage: blob endpoint \(server.blobEndpoint.absoluteString)",
            "storage: queue endpoint \(server.queueEndpoint.absoluteString)",
            "storage: data directory \(configuration.dataDirectory)",
        ]
        if configuration.accounts[0].name == StorageConnectionString.developmentAccountName {
            lines.append("storage: connection string \(server.connectionString)")
        } else {
            lines.append("storage: account \(configuration.accounts[0].name) (its connection string: add --print-connection-string)")
        }
        // Unbuffered, so a supervising process sees the endpoints at once.
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try? await gracefulShutdown()
        await server.stop()
    }
}
