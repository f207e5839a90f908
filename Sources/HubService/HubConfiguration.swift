public import Foundation
public import ListenerSafety
public import Logging
public import Observability

/// Everything the built-in hub needs to start. The defaults suit `edgefactor hub` on one machine;
/// ``ephemeral(logger:)`` suits tests and in-process embedding (ports chosen by the system, a
/// temporary data directory).
public struct HubConfiguration: Sendable {
    /// Where the TLS certificate comes from.
    public enum CertificateSource: Sendable {
        /// A development CA and a server certificate (SAN `localhost`, `127.0.0.1`, the host name),
        /// generated on first start and kept in the data directory.
        case developmentCA
        /// PEM files of a certificate chain and its private key (e.g. from your own CA).
        case files(certificateChain: String, privateKey: String)
    }

    /// Directory for the SQLite database, certificates and `hub.json`.
    public var dataDirectory: URL
    /// The hub's `HostName` in connection strings and SAS tokens.
    public var hostName: String
    /// Address the listeners bind to (loopback by default).
    public var bindHost: String
    /// MQTT over TLS listener port (IoT Hub's 8883); `nil` turns it off; 0 picks a free port.
    public var mqttTLSPort: Int?
    /// Optional plain-TCP MQTT listener for development (bound to `bindHost` only).
    public var mqttPlainPort: Int?
    /// Service REST API port; 0 picks a free port.
    public var restPort: Int
    /// Serve the REST API over HTTPS (the Azure SDKs require it); `false` serves plain HTTP.
    public var restTLS: Bool
    public var certificate: CertificateSource
    /// Name of the shared access policy that may use the service API.
    public var policyName: String
    /// Base64 key of that policy; `nil` generates one on first start and keeps it.
    public var policyKey: String?
    /// Telemetry kept: at most this many messages...
    public var telemetryMaxMessages: Int
    /// ...and none older than this.
    public var telemetryMaxAge: Duration
    /// Largest accepted telemetry body (IoT Hub: 256 KiB).
    public var maxMessageSize: Int
    /// Seconds to wait for CONNECT on a new connection before closing it.
    public var connectTimeout: Duration
    /// MQTT connections served at once on each MQTT listener (16,384 by default); further ones
    /// wait in the listen backlog until one closes.
    public var maximumMQTTConnections: Int
    /// Delete `dataDirectory` when the hub shuts down (set by ``ephemeral(logger:)``).
    public var removesDataDirectoryOnShutdown: Bool
    /// Header, body and idle timeouts and the connection bound of the REST listener.
    public var restListenerLimits: ListenerLimits
    /// Serve plain MQTT (``mqttPlainPort``) or plain-HTTP REST (``restTLS`` off) on a
    /// non-loopback ``bindHost``. Off: such a configuration is refused at start.
    public var allowInsecureRemote: Bool
    /// Serve `/healthz`, `/readyz` and `/metrics` here (plain HTTP; off loopback only with
    /// ``allowInsecureRemote``); nil for none. `edgefactor hub` uses 127.0.0.1:9471.
    public var metricsEndpoint: OperatorEndpoint? = nil
    /// Write one access-log line per service-API request at `info` to ``logger``.
    public var accessLog = false
    public var logger: Logger

    public init(
        dataDirectory: URL,
        hostName: String = "localhost",
        bindHost: String = "127.0.0.1",
        mqttTLSPort: Int? = 8883,
        mqttPlainPort: Int? = nil,
        restPort: Int = 8443,
        restTLS: Bool = true,
        certificate: CertificateSource = .developmentCA,
        policyName: String = "iothubowner",
        policyKey: String? = nil,
        telemetryMaxMessages: Int = 100_000,
        telemetryMaxAge: Duration = .seconds(7 * 24 * 3600),
        maxMessageSize: Int = 256 * 1024,
        connectTimeout: Duration = .seconds(10),
        maximumMQTTConnections: Int = 16_384,
        removesDataDirectoryOnShutdown: Bool = false,
        restListenerLimits: ListenerLimits = ListenerLimits(),
        allowInsecureRemote: Bool = false,
        logger: Logger = Logger(label: "hub")
    ) {
        self.dataDirectory = dataDirectory
        self.hostName = hostName
        self.bindHost = bindHost
        self.mqttTLSPort = mqttTLSPort
        self.mqttPlainPort = mqttPlainPort
        self.restPort = restPort
        self.restTLS = restTLS
        self.certificate = certificate
        self.policyName = policyName
        self.policyKey = policyKey
        self.telemetryMaxMessages = telemetryMaxMessages
        self.telemetryMaxAge = telemetryMaxAge
        self.maxMessageSize = maxMessageSize
        self.connectTimeout = connectTimeout
        self.maximumMQTTConnections = max(1, maximumMQTTConnections)
        self.removesDataDirectoryOnShutdown = removesDataDirectoryOnShutdown
        self.restListenerLimits = restListenerLimits
        self.allowInsecureRemote = allowInsecureRemote
        self.logger = logger
    }

    /// A hub for tests and embedding: fresh temporary data directory (deleted on shutdown), MQTT
    /// over TLS and plain TCP and HTTPS REST, all on ports the system picks.
    public static func ephemeral(logger: Logger = Logger(label: "hub")) -> HubConfiguration {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("edgefactor-hub-\(UUID().uuidString.prefix(8))", isDirectory: true)
        return HubConfiguration(
            dataDirectory: directory, mqttTLSPort: 0, mqttPlainPort: 0, restPort: 0,
            removesDataDirectoryOnShutdown: true, logger: logger
        )
    }

    /// `<home>/hub`, else `./var/hub` (the caller says where home is: the CLI's EDGEFACTOR_HOME;
    /// nothing here reads the environment).
    public static func defaultDataDirectory(home: String? = nil) -> URL {
        let home = home.flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("var")
        return home.appendingPathComponent("hub", isDirectory: true)
    }
}
