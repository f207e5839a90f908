public import AzureStorage
public import Foundation
public import IoTHub
public import Observability
public import Verification

/// Everything the edge module needs.
public struct EdgeModuleConfiguration: Sendable {
    /// How the module authenticates to the hub.
    public enum HubIdentity: Sendable {
        /// A module connection string (`HostName=…;DeviceId=…;ModuleId=…;SharedAccessKey=…`).
        case connectionString(IoTHubConnectionString, HubClientOptions = .init())
        /// The variables the IoT Edge runtime sets for a module (`IOTEDGE_*`, signing through the
        /// workload API), or IoT Edge's local-development `EdgeHubConnectionString`: the caller
        /// reads them (the CLI, once) and passes them here.
        case edgeEnvironment([String: String])
    }

    /// The device and module an IoT Edge environment names: `IOTEDGE_DEVICEID`/`IOTEDGE_MODULEID`,
    /// else `EdgeHubConnectionString`'s. The secrets store and storage grant are looked up under them.
    /// - Parameter environment: The IoT Edge variables (the process's, as the CLI read them, or a test's).
    public static func edgeIdentity(
        _ environment: [String: String]
    ) throws(EdgeModuleError) -> (deviceId: String, moduleId: String) {
        if let deviceId = environment["IOTEDGE_DEVICEID"], let moduleId = environment["IOTEDGE_MODULEID"],
           !deviceId.isEmpty, !moduleId.isEmpty {
            return (deviceId, moduleId)
        }
        if IoTEdgeEnvironment.isPresent(in: environment) {
            throw .configuration("IOTEDGE_WORKLOADURI is set but IOTEDGE_DEVICEID or IOTEDGE_MODULEID is not; the IoT Edge runtime sets both in a module's container")
        }
        if let text = environment["EdgeHubConnectionString"] {
            do {
                let connectionString = try IoTHubConnectionString(text)
                if let deviceId = connectionString.deviceId, let moduleId = connectionString.moduleId { return (deviceId, moduleId) }
                throw IoTHubConfigurationError("it names no DeviceId and ModuleId")
            } catch {
                throw .configuration("EdgeHubConnectionString cannot be used: \(error)")
            }
        }
        throw .configuration("no IoT Edge environment (IOTEDGE_DEVICEID, IOTEDGE_MODULEID and IOTEDGE_WORKLOADURI, set by the IoT Edge runtime; or EdgeHubConnectionString); outside IoT Edge pass --hub-connection-string instead of --edge")
    }

    var hub: HubIdentity
    /// How the module reaches the requests queue: the account's connection string, or a grant
    /// for the device's own queue (renewed by the front-end through `RenewStorageAccess`).
    package var storage: StorageAccess
    /// Where a renewed storage grant is saved (the file the grant was read from); nil: memory only.
    public var storageGrantFile: URL?
    /// Shared with the agent: seals every queue message.
    var moduleSecret: SharedSecret
    /// Initial settings; the twin's desired properties may change them.
    public var settings = ModuleSettings()
    /// Queue the original unsigned payloads in the original pipe format (migration only; the agent
    /// must also run in legacy mode).
    public var acceptUnsignedRequests = false
    /// How long `ProcessRequest` waits for storage before answering 503.
    public var enqueueTimeout: Duration = .seconds(10)
    /// Client options used with `.edgeEnvironment` (the CA comes from the workload API's trust
    /// bundle, or `EdgeModuleCACertificateFile`, unless `trustRootsPEM` is set).
    public var edgeOptions = HubClientOptions()
    /// Called after each request is queued (to wake an agent running in the same process).
    public var onRequestQueued: (@Sendable () async -> Void)?
    /// Serve `/healthz`, `/readyz` (hub connected, requests queue reachable) and `/metrics` here;
    /// nil for none. `edgefactor module` uses 127.0.0.1:9473.
    public var healthEndpoint: OperatorEndpoint?

    public init(hub: HubIdentity, storage: StorageConnectionString, moduleSecret: SharedSecret) {
        self.init(hub: hub, access: .account(storage), moduleSecret: moduleSecret)
    }

    public init(hub: HubIdentity, access: StorageAccess, moduleSecret: SharedSecret) {
        self.hub = hub
        self.storage = access
        self.moduleSecret = moduleSecret
    }
}
