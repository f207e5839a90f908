public import AzureStorage
public import IoTHub
public import Verification

/// Everything the edge module needs.
public struct EdgeModuleConfiguration: Sendable {
    /// How the module authenticates to the hub.
    public enum HubIdentity: Sendable {
        /// A module connection string (`HostName=…;DeviceId=…;ModuleId=…;SharedAccessKey=…`).
        case connectionString(IoTHubConnectionString, HubClientOptions = .init())
        /// The variables the IoT Edge runtime sets for a module (`IOTEDGE_*`, or `EdgeHubConnectionString`).
        case edgeEnvironment
    }

    public var hub: HubIdentity
    /// The storage account holding the requests queue.
    public var storage: StorageConnectionString
    /// Shared with the agent: seals every queue message.
    public var moduleSecret: SharedSecret
    /// Initial settings; the twin's desired properties may change them.
    public var settings = ModuleSettings()
    /// Queue the original unsigned payloads in the original pipe format (migration only; the agent
    /// must also run in legacy mode).
    public var acceptUnsignedRequests = false
    /// How long `ProcessRequest` waits for storage before answering 503.
    public var enqueueTimeout: Duration = .seconds(10)
    /// Client options used with `.edgeEnvironment` (the CA comes from `EdgeModuleCACertificateFile`).
    public var edgeOptions = HubClientOptions()
    /// Called after each request is queued (to wake an agent running in the same process).
    public var onRequestQueued: (@Sendable () async -> Void)?

    public init(hub: HubIdentity, storage: StorageConnectionString, moduleSecret: SharedSecret) {
        self.hub = hub
        self.storage = storage
        self.moduleSecret = moduleSecret
    }
}
