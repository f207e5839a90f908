public import Logging

/// How a ``DeviceClient`` or ``ModuleClient`` reaches its hub.
public struct HubClientOptions: Sendable {
    /// Transport security of the MQTT connection.
    public enum Transport: Sendable, Equatable {
        /// MQTT over TLS (IoT Hub's only transport; port 8883 by default).
        case tls
        /// Plain TCP, accepted only when the dialled host is a loopback address: for development
        /// against the built-in hub's plain listener.
        case plainTCPLoopbackDevelopment
    }

    public var transport: Transport
    /// PEM text of the CA certificates to trust (the built-in hub's `caCertificatePEM`); `nil`
    /// uses the system's trust store (right for Azure).
    public var trustRootsPEM: String?
    /// Port to dial; `nil` means 8883 (TLS) or 1883 (plain).
    public var port: Int?
    /// Host to dial instead of `GatewayHostName`/`HostName` (the SAS and user name keep `HostName`).
    public var hostOverride: String?
    /// MQTT keep-alive: a PINGREQ is sent after this much silence; the hub drops silent clients after 1.5×.
    public var keepAlive: Duration
    /// Lifetime of each generated SAS token; the client reconnects with a fresh one shortly before expiry.
    public var sasTokenTimeToLive: Duration
    /// How long an operation (telemetry, twin, subscribe) waits for a connection and the hub's answer.
    public var operationTimeout: Duration
    /// First delay of the reconnect backoff; doubled after every failed attempt up to `maximumReconnectDelay`.
    public var initialReconnectDelay: Duration
    /// Longest wait between reconnect attempts (4 s, ±20 % jitter): back within seconds of the
    /// hub's return, without every device arriving in the same instant.
    public var maximumReconnectDelay: Duration
    /// Appended to the user name as `DeviceClientType` (identifies the software to the hub).
    public var productInfo: String
    public var logger: Logger

    public init(
        transport: Transport = .tls,
        trustRootsPEM: String? = nil,
        port: Int? = nil,
        hostOverride: String? = nil,
        keepAlive: Duration = .seconds(60),
        sasTokenTimeToLive: Duration = .seconds(3600),
        operationTimeout: Duration = .seconds(30),
        initialReconnectDelay: Duration = .milliseconds(250),
        maximumReconnectDelay: Duration = .seconds(4),
        productInfo: String = "edgefactor-swift/1.0",
        logger: Logger = Logger(label: "iothub.client")
    ) {
        self.transport = transport
        self.trustRootsPEM = trustRootsPEM
        self.port = port
        self.hostOverride = hostOverride
        self.keepAlive = keepAlive
        self.sasTokenTimeToLive = sasTokenTimeToLive
        self.operationTimeout = operationTimeout
        self.initialReconnectDelay = initialReconnectDelay
        self.maximumReconnectDelay = maximumReconnectDelay
        self.productInfo = productInfo
        self.logger = logger
    }

    /// Whether `host` names this machine's loopback interface.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
    }
}
