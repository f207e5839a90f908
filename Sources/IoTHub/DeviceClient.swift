import Foundation

/// An IoT Hub device: sends telemetry, answers direct methods, reads and reports its twin, over
/// MQTT 3.1.1 (TLS on 8883). Reconnects with exponential backoff and re-subscribes by itself.
///
/// ```swift
/// let client = DeviceClient(connectionString: try IoTHubConnectionString(text))
/// await client.onMethod { request in .json(200, ["ok": true]) }
/// try await client.connect()
/// try await client.sendTelemetry(.json(reading))
/// ```
public actor DeviceClient {
    private let session: HubSession

    /// A client for the device named by `connectionString` (which must have a DeviceId and no ModuleId).
    public init(connectionString: IoTHubConnectionString, options: HubClientOptions = .init()) {
        session = HubSession(connectionString: connectionString, options: options)
    }

    /// Connects (TLS, CONNECT with a fresh SAS token) and keeps the connection up until ``close()``.
    /// Throws ``IoTHubClientError/connectionRefused(code:reason:)`` for bad credentials.
    public func connect() async throws {
        if session.connectionString.moduleId != nil {
            throw IoTHubConfigurationError("this connection string names a module; use ModuleClient")
        }
        try await session.connect()
    }

    /// Disconnects and stops reconnecting.
    public func close() async { await session.close() }

    /// Whether the connection to the hub is up now (false while it reconnects).
    public var isConnected: Bool { get async { await session.connected } }

    /// Sends one message at QoS 1 and returns when the hub acknowledged it.
    public func sendTelemetry(_ message: TelemetryMessage) async throws { try await session.sendTelemetry(message) }

    /// Sets the handler for every direct method (replacing any earlier one).
    public func onMethod(_ handler: @escaping @Sendable (MethodRequest) async -> MethodResponse) async {
        await session.setMethodHandler(handler)
    }

    /// The full twin (desired and reported properties).
    public func getTwin() async throws -> TwinDocument { try await session.getTwin() }

    /// Merges `patch` (a JSON object; `null` members delete) into the reported properties; returns the new version.
    public func updateReportedProperties(_ patch: [String: JSONValue]) async throws -> Int {
        try await session.updateReportedProperties(patch)
    }

    /// Desired-property patches as they arrive (JSON objects including `$version`).
    public func desiredPropertyUpdates() async -> AsyncStream<[String: JSONValue]> { await session.desiredPropertyUpdates() }
}
