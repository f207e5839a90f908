import ArgumentParser
import AzureStorage
import Foundation
import FrontEnd
import HubService
import IoTHub
import Logging
import ServiceLifecycle
import Verification

/// `edgefactor frontend [serve]`: the web server.
struct FrontendServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the sign-in pages (the default).",
        discussion: """
            With no options it uses the local built-in hub (its hub.json) and the built-in storage's \
            development account. Point it at Azure with --hub-connection-string and \
            --storage-connection-string (or $IOTHUB_CONNECTION_STRING and $AZURE_STORAGE_CONNECTION_STRING).
            """
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 = any free port; the chosen one is printed).")
    var port = 8080

    @OptionGroup var store: FrontendDatabaseOptions

    @OptionGroup var devices: DeviceReachOptions

    @Option(help: "Seconds a verification request stays valid.")
    var requestLifetime = 60

    @Option(help: "Seconds to wait for the device to answer ProcessRequest.")
    var methodTimeout = 30

    @Option(help: "Consecutive failed sign-ins that lock an account (at most 100).")
    var lockoutAfter = 100

    @Option(help: "Similarity in percent each matching frame of a personal object must reach (the DET curve in docs/benchmarks.md chose 72).")
    var objectThreshold = ObjectSettings().threshold

    @Option(help: "Distinct views an enrolment asks the device to keep (3-12).")
    var enrolViews = ObjectSettings().views

    @Option(help: "Seconds the device captures for an enrolment (2-60).")
    var enrolSeconds = ObjectSettings().captureSeconds

    @Flag(help: "Browsers reach this server over HTTPS (TLS here or at a proxy): Secure cookies and HSTS.")
    var behindTls = false

    @Flag(help: "Take the client address from X-Forwarded-For (only behind a trusted reverse proxy).")
    var trustForwardedFor = false

    @OptionGroup var listener: ListenerOptions

    @Option(help: "Address for /healthz, /readyz and /metrics (plain HTTP), as host:port; 'off' for none. Off loopback it needs --allow-insecure-remote.")
    var metricsAddress = "127.0.0.1:9472"

    @Flag(inversion: .prefixedNo, help: "Log one line per request at info (method, path without the query, status, duration).")
    var accessLog = true

    @OptionGroup var logging: EdgeLogOptions

    @OptionGroup var config: ConfigOption

    @Option(help: "How often the devices' storage grants are renewed (e.g. 6h; 'off' for never).")
    var storageGrantRenewal = "6h"

    @Option(help: "How long each renewed storage grant lasts (e.g. 7d); several renewals, so that a device that is away for a while keeps working.")
    var storageGrantLifetime = "7d"

    func validate() throws {
        _ = try OperatorOptions.endpoint(metricsAddress, option: "--metrics-address", allowRemote: listener.allowInsecureRemote)
        if storageGrantRenewal.lowercased() != "off" {
            let interval = try EdgeConnectionOptions.duration(storageGrantRenewal, option: "--storage-grant-renewal")
            let lifetime = try EdgeConnectionOptions.duration(storageGrantLifetime, option: "--storage-grant-lifetime")
            guard interval >= .seconds(60) else { throw ValidationError("--storage-grant-renewal must be at least 1m") }
            guard lifetime >= interval * 2, lifetime <= .seconds(365 * 86400) else {
                throw ValidationError("--storage-grant-lifetime must be at least twice --storage-grant-renewal, and at most 365d")
            }
        }
        guard (1...600).contains(requestLifetime) else { throw ValidationError("--request-lifetime must be 1 to 600 seconds") }
        guard (1...300).contains(methodTimeout) else { throw ValidationError("--method-timeout must be 1 to 300 seconds") }
        guard (1...100).contains(lockoutAfter) else { throw ValidationError("--lockout-after must be 1 to 100 (NIST SP 800-63B 5.2.2)") }
        guard (1...100).contains(objectThreshold) else { throw ValidationError("--object-threshold must be 1 to 100 (percent similarity)") }
        guard (3...12).contains(enrolViews) else { throw ValidationError("--enrol-views must be 3 to 12") }
        guard (2...60).contains(enrolSeconds) else { throw ValidationError("--enrol-seconds must be 2 to 60") }
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "edgefactor.frontend")
        let settings = try await config.settings(devices.settingFlags)
        let backend = try devices.backend(settings)
        let storage = try devices.storage(settings)
        if let container = devices.container {
            // The devices create it too; creating it here lets the first poll get a clean 404.
            do { try await BlobContainerClient(connectionString: storage, containerName: container).create() } catch {
                logger.warning("cannot create container \(container): \(error)")
            }
        }

        var configuration = FrontEndConfiguration(
            host: host, port: port, behindTLS: behindTls, trustForwardedFor: trustForwardedFor,
            throttle: ThrottlePolicy(lockoutAfter: lockoutAfter),
            verification: VerificationSettings(requestLifetime: .seconds(requestLifetime), methodTimeout: .seconds(methodTimeout)),
            objects: ObjectSettings(threshold: objectThreshold, views: enrolViews, captureSeconds: enrolSeconds),
            listenerLimits: listener.limits, allowInsecureRemote: listener.allowInsecureRemote
        )
        configuration.metricsEndpoint = try OperatorOptions.endpoint(metricsAddress, option: "--metrics-address", allowRemote: listener.allowInsecureRemote)
        configuration.accessLog = accessLog
        let database = try store.open(settings)
        let secrets = devices.secrets(settings)
        let renewer = try storageRenewer(backend: backend, storage: storage, secrets: secrets, database: database, logger: logger)
        let frontEnd = FrontEnd(
            configuration: configuration, database: database,
            backend: backend, secrets: secrets, storageRenewer: renewer, logger: logger
        )
        let host = self.host, behindTLS = behindTls, metricsHost = configuration.metricsEndpoint?.host ?? ""
        let service = FrontEndService(frontEnd) { port in
            // Unbuffered: scripts and tests wait for this line.
            var lines = "frontend: listening on http://\(host):\(port)\n"
            if let line = OperatorOptions.line("frontend", host: metricsHost, port: await frontEnd.metricsPort()) { lines += line + "\n" }
            if behindTLS {
                lines += "frontend: --behind-tls: session cookies are Secure, so browsers must reach this site over HTTPS (through your TLS proxy); over plain HTTP every sign-in is refused as an expired form\n"
            }
            FileHandle.standardOutput.write(Data(lines.utf8))
        }
        let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The renewer of the devices' storage grants, unless turned off or the account has no key.
    private func storageRenewer(
        backend: AzureVerificationBackend, storage: StorageConnectionString, secrets: SecretsStore, database: FrontEndDatabase, logger: Logger
    ) throws -> StorageAccessRenewer? {
        guard storageGrantRenewal.lowercased() != "off" else { return nil }
        guard storage.sharedKey != nil else {
            logger.notice("the storage connection string has no account key: the devices' storage grants are not renewed from here")
            return nil
        }
        let settings = StorageAccessRenewer.Settings(
            interval: try EdgeConnectionOptions.duration(storageGrantRenewal, option: "--storage-grant-renewal"),
            lifetime: try EdgeConnectionOptions.duration(storageGrantLifetime, option: "--storage-grant-lifetime"))
        let users = UserStore(database: database)
        return StorageAccessRenewer(
            backend: backend, account: storage, secrets: secrets, devices: { try await users.devices() },
            settings: settings, logger: logger)
    }
}
