public import AzureStorage
import EdgeFactorSupport
public import Foundation
public import IoTHub
public import ListenerSafety
public import Verification
public import Vision

/// Everything the device agent needs. Defaults follow the original design's names and the
/// security model's limits.
public struct DeviceAgentConfiguration: Sendable {
    /// The device's IoT Hub connection string (`HostName=…;DeviceId=…;SharedAccessKey=…`).
    var hub: IoTHubConnectionString
    /// Transport options for the hub (trust roots, plain TCP on loopback, …).
    var hubOptions: HubClientOptions
    /// How the agent reaches its queues and container: the account's connection string, or a
    /// grant for the device's own resources only (renewed by the front-end through the module).
    var storage: StorageAccess
    /// Where a renewed storage grant is saved (the file the grant was read from); nil: memory only.
    public var storageGrantFile: URL?
    /// The queue requests arrive on. Default: the device's own (`DeviceStorageNames`).
    public var requestsQueue: String
    /// Where messages go after `maxAttempts` failed deliveries or when they can never succeed.
    /// Default: the device's own.
    public var deadLetterQueue: String
    /// Where results and evidence are stored. Default: the device's own.
    public var responsesContainer: String

    /// Shared with the front-end: verifies requests and signs results.
    var deviceSecret: SharedSecret
    /// The secrets of the modules that may queue requests for this device, by module id.
    var moduleSecrets: [String: SharedSecret]

    /// Name of the model the agent starts with (the module's settings name models the same way).
    public var model = DefaultModel.name
    /// Where models named by the module's settings are found: `<model>.onnx` and its labels
    /// (`<model>.labels.txt`, else the shared `labels.txt`). Default: `$EDGEFACTOR_HOME/models`.
    public var modelsDirectory = URL(fileURLWithPath: VisionHome.directory() + "/models", isDirectory: true)
    /// Where the agent keeps the settings the module sent (`agent-settings.json`), so that a restart
    /// resumes them; nil keeps them in memory only.
    public var stateDirectory: URL?

    /// The camera, as a `FrameSources.open` URI (a V4L2 device, an image directory, …).
    var camera: String
    var cameraOptions: FrameSourceOptions

    /// How many requests are watched at once; more stay on the queue.
    public var maxInFlight = 16
    /// How long a received message stays invisible; renewed every third of it while its request is pending.
    public var visibilityTimeout: Duration = .seconds(30)
    /// Deliveries after which a message goes to the dead-letter queue.
    public var maxAttempts = 5
    /// Attempts to store one result before the request goes back on the queue.
    var publishAttempts = 8
    /// Queue polling: the wait after an empty receive starts at the lower bound and doubles up to
    /// the upper bound while the queue stays empty; any message resets it.
    public var pollInterval: ClosedRange<Duration> = .milliseconds(10) ... .milliseconds(250)
    /// How long after the last message the queue is still polled at the lower bound.
    var pollBurstWindow: Duration = .seconds(2)
    /// Accept the original `id|class|threshold|key` messages (unsigned; for migration only).
    public var acceptLegacyMessages = false
    /// Lifetime given to legacy messages, which carry none.
    var legacyRequestLifetime: Duration = .seconds(60)
    var jpegQuality = 85
    /// Where to serve the operator's live preview (MJPEG, the model's best class and each request's
    /// best score drawn on the frames), for aiming the camera; nil for none. Port 0 picks a free port.
    public var previewEndpoint: (host: String, port: Int)?
    /// Where to serve `/healthz`, `/readyz` and `/metrics`; nil for none. Port 0 picks a free port.
    public var healthEndpoint: (host: String, port: Int)? = ("127.0.0.1", 9464)
    /// How many frames must match a personal object, out of how many recent ones (the threshold
    /// comes with each request).
    var matchPolicy = MatchPolicy.standard
    /// What an enrolment keeps as a view (sharpness, distinctness); the views wanted come with the request.
    var enrolmentPolicy = TemplateBuilder.Policy.standard
    /// Timeouts and connection bound of the health endpoint (probes and scrapes need few connections).
    public var healthListenerLimits = ListenerLimits(maximumConnections: 64)
    /// How long shutdown waits for results being stored before releasing their messages.
    package var shutdownGracePeriod: Duration = .seconds(10)

    public init(
        hub: IoTHubConnectionString, hubOptions: HubClientOptions = .init(), storage: StorageConnectionString,
        deviceSecret: SharedSecret, moduleSecrets: [String: SharedSecret], camera: String,
        cameraOptions: FrameSourceOptions = .init()
    ) {
        self.init(
            hub: hub, hubOptions: hubOptions, access: .account(storage), deviceSecret: deviceSecret,
            moduleSecrets: moduleSecrets, camera: camera, cameraOptions: cameraOptions)
    }

    public init(
        hub: IoTHubConnectionString, hubOptions: HubClientOptions = .init(), access: StorageAccess,
        deviceSecret: SharedSecret, moduleSecrets: [String: SharedSecret], camera: String,
        cameraOptions: FrameSourceOptions = .init()
    ) {
        let names = DeviceStorageNames(deviceId: hub.deviceId ?? "")
        requestsQueue = names.requestsQueue
        deadLetterQueue = names.deadLetterQueue
        responsesContainer = names.responsesContainer
        self.hub = hub
        self.hubOptions = hubOptions
        self.storage = access
        self.deviceSecret = deviceSecret
        self.moduleSecrets = moduleSecrets
        self.camera = camera
        self.cameraOptions = cameraOptions
    }

    /// Checks the settings that would otherwise fail later, with what to change.
    func validate() throws(DeviceAgentError) {
        guard hub.deviceId != nil, hub.moduleId == nil else {
            throw .configuration("the hub connection string must name a device (DeviceId=…) and no module")
        }
        guard !moduleSecrets.isEmpty else {
            throw .configuration("no module secret: the agent would reject every request. Pass the module's secret (edgefactor secrets new --module ID)")
        }
        guard (1...256).contains(maxInFlight) else { throw .configuration("max in flight must be 1…256") }
        guard visibilityTimeout >= .seconds(3), visibilityTimeout <= .seconds(3600) else {
            throw .configuration("visibility timeout must be 3 s … 1 h")
        }
        guard (1...100).contains(maxAttempts) else { throw .configuration("max attempts must be 1…100") }
        guard pollInterval.lowerBound > .zero else { throw .configuration("the poll interval must be positive") }
        guard (1...100).contains(jpegQuality) else { throw .configuration("JPEG quality must be 1…100") }
    }
}
