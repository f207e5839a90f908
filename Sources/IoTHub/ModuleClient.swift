public import Foundation

/// An IoT Hub module identity (`deviceId/moduleId`): the same surface as ``DeviceClient``.
public actor ModuleClient {
    private let session: HubSession

    /// A client for the module named by `connectionString` (which must have DeviceId and ModuleId).
    public init(connectionString: IoTHubConnectionString, options: HubClientOptions = .init()) {
        session = HubSession(connectionString: connectionString, options: options)
    }

    /// A module client configured the way IoT Edge's local-development environment does it:
    /// `EdgeHubConnectionString` (with `GatewayHostName`) and `EdgeModuleCACertificateFile`
    /// (PEM file of the CA to trust). The IoT Edge workload API (`IOTEDGE_WORKLOADURI`) is not
    /// supported; set those two variables instead.
    public static func fromEdgeEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        options: HubClientOptions = .init()
    ) throws -> ModuleClient {
        guard let text = environment["EdgeHubConnectionString"] else {
            if environment["IOTEDGE_WORKLOADURI"] != nil {
                throw IoTHubConfigurationError("the IoT Edge workload API is not supported; set EdgeHubConnectionString and EdgeModuleCACertificateFile")
            }
            throw IoTHubConfigurationError("EdgeHubConnectionString is not set; it must hold the module's connection string (HostName, GatewayHostName, DeviceId, ModuleId, SharedAccessKey)")
        }
        let connectionString = try IoTHubConnectionString(text)
        guard connectionString.moduleId != nil else {
            throw IoTHubConfigurationError("EdgeHubConnectionString has no ModuleId")
        }
        var options = options
        if let caFile = environment["EdgeModuleCACertificateFile"] {
            guard let pem = try? String(contentsOfFile: caFile, encoding: .utf8) else {
                throw IoTHubConfigurationError("cannot read EdgeModuleCACertificateFile \(caFile)")
            }
            options.trustRootsPEM = pem
        }
        return ModuleClient(connectionString: connectionString, options: options)
    }

    /// Connects and keeps the connection up until ``close()``.
    public func connect() async throws {
        if session.connectionString.moduleId == nil {
            throw IoTHubConfigurationError("this connection string has no ModuleId; use DeviceClient")
        }
        try await session.connect()
    }

    public func close() async { await session.close() }

    /// Whether the connection to the hub is up now (false while it reconnects).
    public var isConnected: Bool { get async { await session.connected } }

    /// Sends one message at QoS 1 and returns when the hub acknowledged it.
    public func sendTelemetry(_ message: TelemetryMessage) async throws { try await session.sendTelemetry(message) }

    /// Sets the handler for every direct method (replacing any earlier one).
    public func onMethod(_ handler: @escaping @Sendable (MethodRequest) async -> MethodResponse) async {
        await session.setMethodHandler(handler)
    }

    public func getTwin() async throws -> TwinDocument { try await session.getTwin() }

    public func updateReportedProperties(_ patch: Data) async throws -> Int {
        try await session.updateReportedProperties(patch)
    }

    public func desiredPropertyUpdates() async -> AsyncStream<Data> { await session.desiredPropertyUpdates() }
}
