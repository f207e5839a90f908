import ArgumentParser
import EdgeFactorSupport
import EdgeModule
import Foundation
import IoTHub
import Logging
import ServiceLifecycle
import Verification

/// `edgefactor module`: the edge module that accepts `ProcessRequest` and queues verification requests.
struct ModuleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "module",
        abstract: "Run the edge module that accepts ProcessRequest and queues verification requests.",
        discussion: """
            Connects to the IoT hub as module --module-id of device --device-id (or with
            --hub-connection-string, or as an IoT Edge module with --edge: identity, edge hub and
            token signing from the IoT Edge runtime's IOTEDGE_* variables and workload API), answers the direct
            method ProcessRequest, and puts each request on the requests queue sealed with the module's
            secret (create it with `edgefactor secrets new --device ID --module ID`). The twin's desired
            properties defaultThreshold, requestLifetimeSeconds, requestsQueue, responsesContainer and
            model are applied and acknowledged in the reported properties; the last three are also sent
            to the device agent, sealed with the module's secret, on the queue it reads (and on the new
            queue when it changes), retried in the background while storage is away; the delivery is
            reported as agentSettings. Stops on SIGTERM or SIGINT.
            """
    )

    @OptionGroup var connections: EdgeConnectionOptions

    @Option(help: "The edge module's id (on the built-in hub and in the secrets store).")
    var moduleId = "edgefactor-module"

    @Flag(help: "Use the IoT Edge environment instead of a connection string: the IOTEDGE_* variables and the workload API the IoT Edge runtime provides (or, for local development, EdgeHubConnectionString and EdgeModuleCACertificateFile). The module's secret is read under IOTEDGE_DEVICEID/IOTEDGE_MODULEID. The default when those variables are set and no connection string is given.")
    var edge = false

    @Option(help: "File with the module's secret (default: the secrets store's modules/<device>/<module>.secret).")
    var moduleSecretFile: String?

    @Option(help: "Queue to put requests on (default: the device's own, requests-<device>; the agent must start reading the same one; the twin's requestsQueue replaces it).")
    var requestsQueue: String?

    @Option(help: "Container the agent is told to store results in (default: the device's own, results-<device>; the twin's responsesContainer replaces it).")
    var responsesContainer: String?

    @Option(help: "Model the agent is told to use, MODEL.onnx in its models folder (the twin's model replaces it).")
    var model = ModuleSettings.defaultModel

    @Option(help: "Threshold (percent) for payloads without ThresholdPercentage.")
    var defaultThreshold: Double = 70

    @Option(help: "Longest a request may wait on the queue (e.g. 60s); requests expire earlier if they say so.")
    var requestLifetime = "60s"

    @Option(help: "How long ProcessRequest waits for storage before answering 503.")
    var enqueueTimeout = "10s"

    @Flag(help: "Also queue the original unsigned payloads, in the original pipe format (migration only; the agent needs --accept-legacy-messages).")
    var acceptUnsignedRequests = false

    @Option(help: "Address for /healthz, /readyz (hub connected, requests queue reachable) and /metrics, as host:port; 'off' for none. Off loopback it needs --allow-insecure-remote.")
    var healthAddress = "127.0.0.1:9473"

    @Flag(help: "Allow --health-address on an address other than loopback (plain HTTP: only on a trusted network).")
    var allowInsecureRemote = false

    @OptionGroup var logging: EdgeLogOptions

    @OptionGroup var config: ConfigOption

    func run() async throws {
        let logger = logging.bootstrap(label: "edgefactor.module")
        let configuration = try await configuration(logger: logger)
        let service = EdgeModuleService(configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The module's configuration from these options. Shared with `edgefactor check module`.
    func configuration(logger: Logger) async throws -> EdgeModuleConfiguration {
        let settings = try await config.settings(connections.settingFlags)
        // The IoT Edge runtime's variables, passed on as they are.
        let environment = settings.iotEdgeEnvironment
        let underEdge = edge || (!connections.hasHubConnectionString(settings)
            && (IoTEdgeEnvironment.isPresent(in: environment) || environment["EdgeHubConnectionString"] != nil))
        // Under IoT Edge the runtime names the module: its secret and grant are filed under those ids.
        let identity: SecretsStore.Identity
        if underEdge {
            do {
                let (deviceId, moduleId) = try EdgeModuleConfiguration.edgeIdentity(environment)
                identity = .init(deviceId: deviceId, moduleId: moduleId)
            } catch {
                throw ValidationError("\(error)")
            }
        } else {
            identity = .init(deviceId: connections.deviceId, moduleId: moduleId)
        }
        let secret: SharedSecret
        if let moduleSecretFile {
            secret = try SharedSecret(contentsOf: URL(fileURLWithPath: moduleSecretFile))
        } else {
            secret = try connections.secrets(settings).read(identity)
        }
        let hub: EdgeModuleConfiguration.HubIdentity
        if underEdge {
            hub = .edgeEnvironment(environment)
        } else {
            let (connectionString, options) = try await connections.hub(moduleId: moduleId, settings: settings)
            var clientOptions = options
            clientOptions.logger = logger
            hub = .connectionString(connectionString, clientOptions)
        }
        let storage = try connections.storageAccess(for: identity, settings: settings)
        var configuration = EdgeModuleConfiguration(hub: hub, access: storage.access, moduleSecret: secret)
        configuration.edgeOptions.logger = logger
        configuration.storageGrantFile = storage.grantFile
        if let requestsQueue { configuration.settings.requestsQueue = requestsQueue }
        if let responsesContainer { configuration.settings.responsesContainer = responsesContainer }
        configuration.settings.model = model
        configuration.settings.defaultThreshold = defaultThreshold
        configuration.settings.requestLifetime = try EdgeConnectionOptions.duration(requestLifetime, option: "--request-lifetime").inSeconds
        configuration.enqueueTimeout = try EdgeConnectionOptions.duration(enqueueTimeout, option: "--enqueue-timeout")
        configuration.acceptUnsignedRequests = acceptUnsignedRequests
        configuration.healthEndpoint = try OperatorOptions.endpoint(healthAddress, option: "--health-address", allowRemote: allowInsecureRemote)
        return configuration
    }

    func validate() throws {
        _ = try OperatorOptions.endpoint(healthAddress, option: "--health-address", allowRemote: allowInsecureRemote)
        guard defaultThreshold.isFinite, (1...100).contains(defaultThreshold) else {
            throw ValidationError("--default-threshold must be 1…100.")
        }
        let lifetime = try EdgeConnectionOptions.duration(requestLifetime, option: "--request-lifetime")
        guard lifetime >= .seconds(1), lifetime <= .seconds(Int(VerificationRequest.maximumLifetime)) else {
            throw ValidationError("--request-lifetime must be 1 s … \(Int(VerificationRequest.maximumLifetime)) s.")
        }
        for (name, option) in [(requestsQueue, "--requests-queue"), (responsesContainer, "--responses-container")] {
            guard let name, !AgentSettings.isValidStorageName(name) else { continue }
            throw ValidationError("\(option) must be 3–63 lowercase letters, digits and single hyphens (got \(name.prefix(63))).")
        }
        guard AgentSettings.isValidModelName(model) else {
            throw ValidationError("--model must be 1–100 letters, digits, '-', '_' or '.', not starting with '.' (got \(model.prefix(100))).")
        }
    }
}
