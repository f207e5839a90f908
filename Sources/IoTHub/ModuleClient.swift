import Foundation

/// An IoT Hub module identity (`deviceId/moduleId`): the same surface as ``DeviceClient``.
public actor ModuleClient {
    private let session: HubSession

    /// A client for the module named by `connectionString` (which must have DeviceId and ModuleId).
    public init(connectionString: IoTHubConnectionString, options: HubClientOptions = .init()) {
        session = HubSession(connectionString: connectionString, options: options)
    }

    /// A client for the module an IoT Edge runtime runs, signing its tokens through the workload API.
    /// - Parameters:
    ///   - edge: The module's IoT Edge variables.
    ///   - workload: The workload API client that signs for the module.
    ///   - options: Client options; `trustRootsPEM` should hold the workload API's trust bundle.
    public init(edge: IoTEdgeEnvironment, workload: IoTEdgeWorkloadClient, options: HubClientOptions = .init()) {
        session = HubSession(connectionString: edge.address, signer: .workload(workload), options: options)
    }

    /// A module client configured from the IoT Edge environment.
    ///
    /// Under the IoT Edge runtime (`IOTEDGE_WORKLOADURI` set, see ``IoTEdgeEnvironment``): the
    /// identity comes from `IOTEDGE_DEVICEID`/`IOTEDGE_MODULEID`, the CA to trust from the workload
    /// API's trust bundle (unless `options.trustRootsPEM` is set), every SAS token is signed by the
    /// workload API, and the client dials `IOTEDGE_GATEWAYHOSTNAME` (the edge hub).
    ///
    /// Otherwise, IoT Edge's local-development variables: `EdgeHubConnectionString` (with
    /// `GatewayHostName`) and `EdgeModuleCACertificateFile` (PEM file of the CA to trust).
    ///
    /// Throws ``IoTHubConfigurationError`` for missing or invalid variables and
    /// ``IoTEdgeWorkloadError`` when the workload API cannot be reached: both are configuration
    /// errors that retrying does not fix.
    /// - Parameters:
    ///   - environment: The IoT Edge variables (the process's, as the caller read them, or a test's).
    ///   - options: Client options (port, keep-alive, token lifetime, logger).
    public static func fromEdgeEnvironment(
        _ environment: [String: String],
        options: HubClientOptions = .init()
    ) async throws -> ModuleClient {
        if IoTEdgeEnvironment.isPresent(in: environment) {
            let edge = try IoTEdgeEnvironment(environment)
            let workload = try IoTEdgeWorkloadClient(environment: edge)
            var options = options
            if options.trustRootsPEM == nil { options.trustRootsPEM = try await workload.trustBundle() }
            return ModuleClient(edge: edge, workload: workload, options: options)
        }
        guard let text = environment["EdgeHubConnectionString"] else {
            throw IoTHubConfigurationError("no IoT Edge environment: neither IOTEDGE_WORKLOADURI (set by the IoT Edge runtime) nor EdgeHubConnectionString (IoT Edge local development) is set; outside IoT Edge, use a module connection string")
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

    public func updateReportedProperties(_ patch: [String: JSONValue]) async throws -> Int {
        try await session.updateReportedProperties(patch)
    }

    public func desiredPropertyUpdates() async -> AsyncStream<[String: JSONValue]> { await session.desiredPropertyUpdates() }
}
