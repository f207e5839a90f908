public import Foundation
public import IoTHub
import NIOCore

/// A ``HubServer`` that listens: its ports, CA and service connection string, clients for it,
/// and its registry and telemetry in-process. Handed to `onListening` (or to the closure of
/// ``HubServer/withRunning(_:_:)``); valid while the hub runs.
public final class RunningHubServer: Sendable {
    public let configuration: HubConfiguration
    /// The `HostName` of the hub's identities.
    public let hostName: String
    /// Port of the MQTT over TLS listener, if enabled.
    public let mqttTLSPort: Int?
    /// Port of the plain-TCP MQTT listener, if enabled.
    public let mqttPlainPort: Int?
    /// Port of the service REST API.
    public let restPort: Int
    /// PEM text of the CA that clients must trust (the development CA, or the supplied chain).
    public let caCertificatePEM: String
    /// File holding ``caCertificatePEM`` (for `server_verification_cert` / `REQUESTS_CA_BUNDLE`).
    public let caCertificateFile: URL
    /// Service connection string of the `iothubowner`-like policy (`HostName=host:restPort;...`).
    public let serviceConnectionString: IoTHubConnectionString

    let core: HubCore
    let listeners: [any Channel]
    /// Port of `/healthz`, `/readyz` and `/metrics` (``HubConfiguration/metricsEndpoint``); nil
    /// without one, or when its port could not be bound.
    public let metricsPort: Int?

    init(
        configuration: HubConfiguration, mqttTLSPort: Int?, mqttPlainPort: Int?, restPort: Int,
        caCertificatePEM: String, caCertificateFile: URL, serviceConnectionString: IoTHubConnectionString,
        core: HubCore, listeners: [any Channel], metricsPort: Int?
    ) {
        self.configuration = configuration
        self.hostName = configuration.hostName
        self.mqttTLSPort = mqttTLSPort
        self.mqttPlainPort = mqttPlainPort
        self.restPort = restPort
        self.caCertificatePEM = caCertificatePEM
        self.caCertificateFile = caCertificateFile
        self.serviceConnectionString = serviceConnectionString
        self.core = core
        self.listeners = listeners
        self.metricsPort = metricsPort
    }

    /// `hub.json` in the data directory: how to reach this hub (read by `edgefactor hub` admin verbs).
    func writeDescription() throws {
        let description = HubDescription(
            hostName: hostName,
            mqttTLSPort: mqttTLSPort,
            mqttPlainPort: mqttPlainPort,
            restPort: restPort,
            restScheme: configuration.restTLS ? "https" : "http",
            bindHost: configuration.bindHost,
            caCertificateFile: caCertificateFile.path,
            serviceConnectionString: serviceConnectionString.stringValue
        )
        try description.write(to: configuration.dataDirectory)
    }

    // MARK: Clients

    /// Options for a ``DeviceClient``/``ModuleClient`` of this hub: TLS with the hub's CA, or the
    /// plain loopback listener when `plainTCP` is set (and enabled).
    public func clientOptions(plainTCP: Bool = false) -> HubClientOptions {
        var options = HubClientOptions(trustRootsPEM: caCertificatePEM)
        if plainTCP, let port = mqttPlainPort {
            options.transport = .plainTCPLoopbackDevelopment
            options.port = port
            options.hostOverride = configuration.bindHost
        } else {
            options.port = mqttTLSPort
        }
        return options
    }

    /// Options for a ``ServiceClient`` of this hub (trusting its CA; plain HTTP when REST TLS is off).
    public var serviceClientOptions: ServiceClientOptions {
        var options = ServiceClientOptions(trustRootsPEM: caCertificatePEM)
        if !configuration.restTLS {
            options.baseURL = URL(string: "http://\(configuration.bindHost):\(restPort)")
        }
        return options
    }

    /// A service client authenticated with the hub's policy.
    public func serviceClient() -> ServiceClient {
        ServiceClient(connectionString: serviceConnectionString, options: serviceClientOptions)
    }

    // MARK: Registry (in-process)

    /// Registers a device (or returns the existing one) and gives its connection string.
    @discardableResult
    public func addDevice(_ deviceId: String) async throws -> IoTHubConnectionString {
        try await add(deviceId: deviceId, moduleId: nil)
    }

    /// Registers a module (creating its device if needed) and gives its connection string.
    @discardableResult
    public func addModule(deviceId: String, moduleId: String) async throws -> IoTHubConnectionString {
        if try await core.registry.identity(deviceId: deviceId, moduleId: nil) == nil {
            _ = try await add(deviceId: deviceId, moduleId: nil)
        }
        return try await add(deviceId: deviceId, moduleId: moduleId)
    }

    private func add(deviceId: String, moduleId: String?) async throws -> IoTHubConnectionString {
        if let existing = try await core.registry.identity(deviceId: deviceId, moduleId: moduleId) {
            return existing.connectionString(hostName: hostName)
        }
        let identity = try await core.registry.put(
            deviceId: deviceId, moduleId: moduleId, primaryKey: nil, secondaryKey: nil, enabled: true, ifMatch: nil
        )
        return identity.connectionString(hostName: hostName)
    }

    /// The connection string of a registered device or module, or `nil`.
    public func connectionString(deviceId: String, moduleId: String? = nil) async throws -> IoTHubConnectionString? {
        try await core.registry.identity(deviceId: deviceId, moduleId: moduleId)?.connectionString(hostName: hostName)
    }

    /// Removes a device with its modules (or one module) and closes their connections.
    public func remove(deviceId: String, moduleId: String? = nil) async throws {
        _ = try await core.registry.delete(deviceId: deviceId, moduleId: moduleId)
        core.broker.disconnect(deviceId: deviceId, moduleId: moduleId)
    }

    /// Whether the device or module has a live MQTT connection.
    public func isConnected(deviceId: String, moduleId: String? = nil) -> Bool {
        core.broker.isConnected(moduleId.map { "\(deviceId)/\($0)" } ?? deviceId)
    }

    /// Number of live MQTT connections.
    public var connectionCount: Int { core.broker.connectionCount }

    // MARK: Telemetry

    /// Stored telemetry, oldest first: after `afterId`, or the newest `limit` messages.
    public func telemetry(deviceId: String? = nil, moduleId: String? = nil, afterId: Int64? = nil, limit: Int = 100) async throws -> [StoredTelemetry] {
        try await core.telemetry.messages(deviceId: deviceId, moduleId: moduleId, afterId: afterId, limit: limit)
    }

    /// Telemetry as it is stored from now on.
    public func telemetryUpdates(deviceId: String? = nil, moduleId: String? = nil) -> AsyncStream<StoredTelemetry> {
        core.telemetry.subscribe(deviceId: deviceId, moduleId: moduleId)
    }
}
