import ArgumentParser
import DeviceAgent
import Foundation
import IoTHub
import ListenerSafety
import Logging
import ServiceLifecycle
import Verification
import Vision

/// `edgefactor agent`: the device agent that watches the camera and answers verification requests.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run the device agent that watches the camera and answers verification requests.",
        discussion: """
            Connects to the IoT hub as device --device-id, takes requests from the requests queue,
            checks the module's and the front-end's signatures, expiry and replay, classifies camera
            frames while requests are pending, and for each request stores the annotated image and the
            signed result in the responses container and sends the result as telemetry. Health,
            readiness and Prometheus metrics are served on --health-address (/healthz, /readyz,
            /metrics). SIGTERM or SIGINT puts requests still being watched back on the queue.

            The edge module's settings (requests queue, responses container, model) reach the agent
            as messages sealed with the module's secret on the requests queue; the agent applies each
            newer revision, saves it in --state-dir (a restart resumes it; the options below are only
            the starting values), and reports it in the device twin. A model named by the module is
            loaded from --models-dir: MODEL.onnx with MODEL.labels.txt, else labels.txt.
            """
    )

    @OptionGroup var connections: EdgeConnectionOptions

    @Option(help: "File with the device's secret (default: the secrets store's devices/<device>.secret).")
    var deviceSecretFile: String?

    @Option(help: "A module allowed to queue requests, as moduleId=secretFile; repeatable (default: every module secret of the device in the secrets store).")
    var moduleSecret: [String] = []

    @Option(help: "The camera: v4l2:///dev/videoN, /dev/videoN, an image folder or glob, a video file, rtsp://… or synthetic://.")
    var camera = "/dev/video0"

    @Flag(help: "Start again at the first image after the last (image folders and video files).")
    var cameraLoop = false

    @Option(help: "Requested camera frame rate.")
    var frameRate: Double?

    @Option(help: "ONNX model: a file, or the name of one in --models-dir such as efficientnet-lite0-int8 (default: the set-up's EfficientNet-Lite0).")
    var model: String?

    @Option(help: "Labels file of --model (one per line, or JSON).")
    var labels: String?

    @Option(help: "Folder of the models the module's settings can name (MODEL.onnx, MODEL.labels.txt) (default: $EDGEFACTOR_HOME/models, else ./var/models).")
    var modelsDir: String?

    @Option(help: "Folder where the agent keeps the settings the module sent (default: $EDGEFACTOR_HOME/agent/DEVICE, else ./var/agent/DEVICE).")
    var stateDir: String?

    @Option(help: "Queue to take requests from, until the module's settings name another (default: the device's own, requests-<device>).")
    var requestsQueue: String?

    @Option(help: "Queue for messages that failed too often or can never succeed (default: the device's own, requests-<device>-poison).")
    var deadLetterQueue: String?

    @Option(help: "Container for result images and result.json files, until the module's settings name another (default: the device's own, results-<device>).")
    var responsesContainer: String?

    @Option(help: "Requests watched at once.")
    var maxInFlight = 16

    @Option(help: "Visibility timeout of a received message; renewed while its request is pending (e.g. 30s).")
    var visibilityTimeout = "30s"

    @Option(help: "Deliveries after which a message goes to the dead-letter queue.")
    var maxAttempts = 5

    @Option(help: "Shortest wait between polls of an empty queue.")
    var pollMin = "10ms"

    @Option(help: "Longest wait between polls of an empty queue (the wait doubles while the queue stays empty).")
    var pollMax = "250ms"

    @Flag(help: "Accept the original unsigned `id|class|threshold|key` messages (migration only).")
    var acceptLegacyMessages = false

    @Option(help: "Address for /healthz, /readyz and /metrics, as host:port; 'off' for none. Off loopback it needs --allow-insecure-remote.")
    var healthAddress = "127.0.0.1:9464"

    @Flag(help: "Allow --health-address on an address other than loopback (plain HTTP: only on a trusted network).")
    var allowInsecureRemote = false

    @Option(help: "Address for the operator's live preview (MJPEG with the model's best class and each request's best score drawn), as host:port; 'off' for none. Keep it on loopback: it shows what the camera sees.")
    var previewAddress = "127.0.0.1:9465"

    @Option(help: "Seconds a health or metrics client may take to send its request head (then 408).")
    var healthHeaderTimeout = 10

    @Option(help: "Seconds an idle keep-alive connection to the health endpoint stays open.")
    var healthIdleTimeout = 30

    @Option(help: "Connections the health endpoint serves at once (probes and scrapes need few).")
    var healthMaxConnections = 64

    @OptionGroup var logging: EdgeLogOptions

    @OptionGroup var config: ConfigOption

    func validate() throws {
        for (name, option) in [(requestsQueue, "--requests-queue"), (deadLetterQueue, "--dead-letter-queue"), (responsesContainer, "--responses-container")] {
            if let name, !AgentSettings.isValidStorageName(name) {
                throw ValidationError("\(option) must be 3–63 lowercase letters, digits and single hyphens (got \(name.prefix(63))).")
            }
        }
        for (text, option) in [(visibilityTimeout, "--visibility-timeout"), (pollMin, "--poll-min"), (pollMax, "--poll-max")] {
            _ = try EdgeConnectionOptions.duration(text, option: option)
        }
        _ = try healthEndpoint()
        _ = try Self.endpoint(previewAddress, option: "--preview-address")
        for (name, seconds) in [("--health-header-timeout", healthHeaderTimeout), ("--health-idle-timeout", healthIdleTimeout)] where !(1...3600).contains(seconds) {
            throw ValidationError("\(name) must be 1 to 3600 seconds (got \(seconds)).")
        }
        guard (1...10_000).contains(healthMaxConnections) else {
            throw ValidationError("--health-max-connections must be 1 to 10000 (got \(healthMaxConnections)).")
        }
        guard (labels == nil) || (model != nil) else { throw ValidationError("--labels goes with --model.") }
    }

    /// Whether `camera` names a source that runs out of frames (a folder, glob, image or video
    /// file) rather than a live one (V4L2, RTSP, an endless synthetic pattern).
    static func cameraEnds(_ camera: String) -> Bool {
        let live = ["v4l2://", "/dev/video", "rtsp://", "rtsps://"]
        if live.contains(where: { camera.hasPrefix($0) }) { return false }
        if camera.hasPrefix("synthetic://") { return camera.contains("frames=") }
        return true
    }

    func healthEndpoint() throws -> (host: String, port: Int)? {
        try OperatorOptions.endpoint(healthAddress, option: "--health-address", allowRemote: allowInsecureRemote).map { ($0.host, $0.port) }
    }

    /// `host:port`, or nil for `off`.
    static func endpoint(_ text: String, option: String) throws -> (host: String, port: Int)? {
        guard text != "off" else { return nil }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
        else { throw ValidationError("\(option) must be host:port or 'off' (got \(text)).") }
        return (String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port)
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "edgefactor.agent")
        if !cameraLoop, Self.cameraEnds(camera) {
            logger.warning("the camera is a folder, image or video file and --camera-loop is not set: after its last frame the agent sees nothing, and every verification waits for its expiry and fails. Add --camera-loop.", metadata: ["camera": "\(camera)"])
        }
        let (configuration, classifier) = try await configuration(logger: logger)
        let service = try DeviceAgentService(configuration: configuration, classifier: classifier, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The agent's configuration from these options, and the model given with --model (nil: the
    /// configured one, loaded by the agent). Shared with `edgefactor check agent`.
    func configuration(logger: Logger) async throws -> (DeviceAgentConfiguration, ImageClassifier?) {
        let settings = try await config.settings(connections.settingFlags)
        let store = connections.secrets(settings)
        let deviceSecret = try deviceSecretFile.map { try SharedSecret(contentsOf: URL(fileURLWithPath: $0)) }
            ?? store.read(.init(deviceId: connections.deviceId, moduleId: nil))
        var moduleSecrets: [String: SharedSecret] = [:]
        for entry in moduleSecret {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--module-secret must be moduleId=file (got \(entry)).") }
            moduleSecrets[parts[0]] = try SharedSecret(contentsOf: URL(fileURLWithPath: parts[1]))
        }
        if moduleSecrets.isEmpty { moduleSecrets = try store.moduleSecrets(of: connections.deviceId) }

        var (hub, hubOptions) = try await connections.hub(moduleId: nil, settings: settings)
        hubOptions.logger = logger
        let storage = try connections.storageAccess(for: .init(deviceId: connections.deviceId), settings: settings)
        var configuration = DeviceAgentConfiguration(
            hub: hub, hubOptions: hubOptions, access: storage.access, deviceSecret: deviceSecret,
            moduleSecrets: moduleSecrets, camera: camera,
            cameraOptions: FrameSourceOptions(loop: cameraLoop, frameRate: frameRate))
        configuration.storageGrantFile = storage.grantFile
        if let requestsQueue { configuration.requestsQueue = requestsQueue }
        if let deadLetterQueue { configuration.deadLetterQueue = deadLetterQueue }
        if let responsesContainer { configuration.responsesContainer = responsesContainer }
        configuration.maxInFlight = maxInFlight
        configuration.visibilityTimeout = try EdgeConnectionOptions.duration(visibilityTimeout, option: "--visibility-timeout")
        configuration.maxAttempts = maxAttempts
        configuration.pollInterval = try EdgeConnectionOptions.duration(pollMin, option: "--poll-min") ... max(
            try EdgeConnectionOptions.duration(pollMin, option: "--poll-min"), try EdgeConnectionOptions.duration(pollMax, option: "--poll-max"))
        configuration.acceptLegacyMessages = acceptLegacyMessages
        configuration.healthEndpoint = try healthEndpoint()
        configuration.previewEndpoint = try Self.endpoint(previewAddress, option: "--preview-address")
        configuration.healthListenerLimits = ListenerLimits(
            headerTimeout: .seconds(healthHeaderTimeout), idleTimeout: .seconds(healthIdleTimeout), maximumConnections: healthMaxConnections)
        let home = VisionHome.directory(home: settings.home)
        configuration.modelsDirectory = URL(fileURLWithPath: modelsDir ?? home + "/models", isDirectory: true)
        configuration.stateDirectory = URL(fileURLWithPath: stateDir ?? home + "/agent/" + connections.deviceId, isDirectory: true)
        var classifier: ImageClassifier?
        if let model {
            // The module names models by file name without `.onnx`.
            configuration.model = URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent
            var modelConfiguration: ClassifierConfiguration
            if ModelDirectory.isModelName(model) {
                modelConfiguration = try ModelDirectory(path: configuration.modelsDirectory.path).configuration(for: model)
                if let labels { modelConfiguration.labelsPath = labels }
            } else {
                modelConfiguration = ClassifierConfiguration(modelPath: model, labelsPath: labels)
            }
            classifier = try ImageClassifier(configuration: modelConfiguration)
        }
        return (configuration, classifier)
    }
}
