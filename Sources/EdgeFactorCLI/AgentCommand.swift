import ArgumentParser
import DeviceAgent
import Foundation
import IoTHub
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

    @Option(help: "ONNX model file (default: the set-up's EfficientNet-Lite0 in $EDGEFACTOR_HOME/models).")
    var model: String?

    @Option(help: "Labels file of --model (one per line, or JSON).")
    var labels: String?

    @Option(help: "Folder of the models the module's settings can name (MODEL.onnx, MODEL.labels.txt) (default: $EDGEFACTOR_HOME/models, else ./var/models).")
    var modelsDir: String?

    @Option(help: "Folder where the agent keeps the settings the module sent (default: $EDGEFACTOR_HOME/agent/DEVICE, else ./var/agent/DEVICE).")
    var stateDir: String?

    @Option(help: "Queue to take requests from, until the module's settings name another.")
    var requestsQueue = ResultLocation.defaultRequestsQueue

    @Option(help: "Queue for messages that failed too often or can never succeed.")
    var deadLetterQueue = ResultLocation.defaultDeadLetterQueue

    @Option(help: "Container for result images and result.json files, until the module's settings name another.")
    var responsesContainer = ResultLocation.defaultResponsesContainer

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

    @Option(help: "Address for /healthz, /readyz and /metrics, as host:port; 'off' for none.")
    var healthAddress = "127.0.0.1:9464"

    @OptionGroup var logging: EdgeLogOptions

    func validate() throws {
        for (text, option) in [(visibilityTimeout, "--visibility-timeout"), (pollMin, "--poll-min"), (pollMax, "--poll-max")] {
            _ = try EdgeConnectionOptions.duration(text, option: option)
        }
        _ = try healthEndpoint()
        guard (labels == nil) || (model != nil) else { throw ValidationError("--labels goes with --model.") }
    }

    func healthEndpoint() throws -> (host: String, port: Int)? {
        guard healthAddress != "off" else { return nil }
        guard let colon = healthAddress.lastIndex(of: ":"), let port = Int(healthAddress[healthAddress.index(after: colon)...]),
              (0...65535).contains(port)
        else { throw ValidationError("--health-address must be host:port or 'off' (got \(healthAddress)).") }
        return (String(healthAddress[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port)
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "edgefactor.agent")
        let store = connections.secrets
        let deviceSecret = try deviceSecretFile.map { try SharedSecret(contentsOf: URL(fileURLWithPath: $0)) }
            ?? store.read(.init(deviceId: connections.deviceId, moduleId: nil))
        var moduleSecrets: [String: SharedSecret] = [:]
        for entry in moduleSecret {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--module-secret must be moduleId=file (got \(entry)).") }
            moduleSecrets[parts[0]] = try SharedSecret(contentsOf: URL(fileURLWithPath: parts[1]))
        }
        if moduleSecrets.isEmpty { moduleSecrets = try store.moduleSecrets(of: connections.deviceId) }

        var (hub, hubOptions) = try await connections.hub(module: false)
        hubOptions.logger = logger
        var configuration = DeviceAgentConfiguration(
            hub: hub, hubOptions: hubOptions, storage: try connections.storage(), deviceSecret: deviceSecret,
            moduleSecrets: moduleSecrets, camera: camera,
            cameraOptions: FrameSourceOptions(loop: cameraLoop, frameRate: frameRate))
        configuration.requestsQueue = requestsQueue
        configuration.deadLetterQueue = deadLetterQueue
        configuration.responsesContainer = responsesContainer
        configuration.maxInFlight = maxInFlight
        configuration.visibilityTimeout = try EdgeConnectionOptions.duration(visibilityTimeout, option: "--visibility-timeout")
        configuration.maxAttempts = maxAttempts
        configuration.pollInterval = try EdgeConnectionOptions.duration(pollMin, option: "--poll-min") ... max(
            try EdgeConnectionOptions.duration(pollMin, option: "--poll-min"), try EdgeConnectionOptions.duration(pollMax, option: "--poll-max"))
        configuration.acceptLegacyMessages = acceptLegacyMessages
        configuration.healthEndpoint = try healthEndpoint()
        let home = VisionHome.directory()
        configuration.modelsDirectory = URL(fileURLWithPath: modelsDir ?? home + "/models", isDirectory: true)
        configuration.stateDirectory = URL(fileURLWithPath: stateDir ?? home + "/agent/" + connections.deviceId, isDirectory: true)
        if let model {
            // The module names models by file name without `.onnx`.
            configuration.model = URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent
        }

        var classifier: ImageClassifier?
        if let model {
            classifier = try ImageClassifier(configuration: ClassifierConfiguration(modelPath: model, labelsPath: labels))
        }
        let service = try DeviceAgentService(configuration: configuration, classifier: classifier, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
