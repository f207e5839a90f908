/// The variables the IoT Edge runtime sets in every module's container: who the module is, where
/// its edge hub is, and where the workload API (which holds the module's key) listens.
///
/// Read with ``init(_:)``; ``ModuleClient/fromEdgeEnvironment(_:options:)`` does it for you.
public struct IoTEdgeEnvironment: Sendable, Equatable {
    /// `IOTEDGE_WORKLOADURI`: `unix:///var/run/iotedge/workload.sock`, or `http://host:port`.
    public var workloadURI: String
    /// `IOTEDGE_APIVERSION`: the workload API version to ask for (e.g. `2019-01-30`).
    public var apiVersion: String
    /// `IOTEDGE_MODULEGENERATIONID`: which generation of the module identity the key belongs to.
    public var moduleGenerationId: String
    /// `IOTEDGE_DEVICEID`: the edge device.
    public var deviceId: String
    /// `IOTEDGE_MODULEID`: this module, as named in the deployment manifest.
    public var moduleId: String
    /// `IOTEDGE_IOTHUBHOSTNAME`: the hub's name, used in the SAS token and the MQTT user name.
    public var iotHubHostName: String
    /// `IOTEDGE_GATEWAYHOSTNAME`: the edge hub's host name, the one dialled (optionally `host:port`).
    public var gatewayHostName: String

    /// The variables a module needs; `IOTEDGE_AUTHSCHEME` is optional and must be `sasToken`.
    public static let requiredVariables = [
        "IOTEDGE_WORKLOADURI", "IOTEDGE_APIVERSION", "IOTEDGE_MODULEGENERATIONID", "IOTEDGE_DEVICEID",
        "IOTEDGE_MODULEID", "IOTEDGE_IOTHUBHOSTNAME", "IOTEDGE_GATEWAYHOSTNAME",
    ]

    /// Whether `environment` looks like an IoT Edge module's (it has `IOTEDGE_WORKLOADURI`).
    public static func isPresent(in environment: [String: String]) -> Bool {
        environment["IOTEDGE_WORKLOADURI"] != nil
    }

    /// Reads the variables; the error names every one that is missing or empty.
    /// - Parameter environment: The process environment (or a test's).
    public init(_ environment: [String: String]) throws(IoTHubConfigurationError) {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        let missing = Self.requiredVariables.filter { value($0) == nil }
        guard missing.isEmpty else {
            throw IoTHubConfigurationError("the IoT Edge environment is incomplete: \(missing.joined(separator: ", ")) not set; the IoT Edge runtime sets them in a module's container (outside IoT Edge, use a module connection string instead)")
        }
        if let scheme = value("IOTEDGE_AUTHSCHEME"), scheme.lowercased() != "sastoken" {
            throw IoTHubConfigurationError("IOTEDGE_AUTHSCHEME is \(scheme.prefix(40)); only sasToken is supported (the module identity must use symmetric-key authentication)")
        }
        self.init(
            workloadURI: value("IOTEDGE_WORKLOADURI") ?? "", apiVersion: value("IOTEDGE_APIVERSION") ?? "",
            moduleGenerationId: value("IOTEDGE_MODULEGENERATIONID") ?? "", deviceId: value("IOTEDGE_DEVICEID") ?? "",
            moduleId: value("IOTEDGE_MODULEID") ?? "", iotHubHostName: value("IOTEDGE_IOTHUBHOSTNAME") ?? "",
            gatewayHostName: value("IOTEDGE_GATEWAYHOSTNAME") ?? ""
        )
    }

    /// Creates an environment from its parts.
    /// - Parameters:
    ///   - workloadURI: `unix:///path/to/workload.sock` or `http://host:port`.
    ///   - apiVersion: The workload API version.
    ///   - moduleGenerationId: The module identity's generation.
    ///   - deviceId: The edge device.
    ///   - moduleId: The module.
    ///   - iotHubHostName: The hub's name.
    ///   - gatewayHostName: The edge hub's host name (the one dialled).
    public init(
        workloadURI: String, apiVersion: String, moduleGenerationId: String, deviceId: String,
        moduleId: String, iotHubHostName: String, gatewayHostName: String
    ) {
        self.workloadURI = workloadURI
        self.apiVersion = apiVersion
        self.moduleGenerationId = moduleGenerationId
        self.deviceId = deviceId
        self.moduleId = moduleId
        self.iotHubHostName = iotHubHostName
        self.gatewayHostName = gatewayHostName
    }

    /// The module's connection parts without a key (the workload API signs for it).
    var address: IoTHubConnectionString {
        IoTHubConnectionString(
            hostName: iotHubHostName, deviceId: deviceId, moduleId: moduleId,
            sharedAccessKey: "", gatewayHostName: gatewayHostName
        )
    }
}
