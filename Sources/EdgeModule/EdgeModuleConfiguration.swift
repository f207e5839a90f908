public import AzureStorage
public import Foundation
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
    /// How the module reaches the requests queue: the account's connection string, or a grant
    /// for the device's own queue (renewed by the front-end through `RenewStorageAccess`).
    public var storage: StorageAccess
    /// Where a renewed storage grant is saved (the file the grant was read from); nil: memory only.
    public var storageGrantFile: URL?
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
        self.init(hub: hub, access: .account(storage), moduleSecret: moduleSecret)
    }

    public init(hub: HubIdentity, access: StorageAccess, moduleSecret: SharedSecret) {
        self.hub = hub
        self.storage = access
        self.moduleSecret = moduleSecret
    }
}
