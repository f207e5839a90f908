import AzureStorage
import DeviceAgent
import EdgeModule
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HubService
import IoTHub
import Logging
import ServiceLifecycle
import StorageService
import Synchronization
import TestSupport
import Testing
import Verification
import Vision

/// The whole device side in one process, as a deployment would wire it: the built-in storage and
/// hub on loopback ports, an edge module and a device agent as services, an image-folder camera
/// with the sample photos, and a stand-in for the front-end that seals requests, invokes
/// `ProcessRequest` and verifies the results. Tests use it through ``with(storageTLS:_:)``.
final class FlowHarness: Sendable {
    static let deviceId = "dev1"
    static let moduleId = "edgefactor-module"
    /// The device's own queues and container (the default set-up).
    static let names = DeviceStorageNames(deviceId: deviceId)

    /// The model, loaded once for every test (loading it takes a while in debug builds).
    static let classifier: Result<ImageClassifier, any Error> = Result {
        try ImageClassifier(configuration: ClassifierConfiguration.defaultModel())
    }

    let root: URL
    let storage: RunningStorageServer
    let storageServer: BackgroundServer<RunningStorageServer>
    /// The hub's configuration with the ports of its first start, so that a restarted hub is
    /// found where the clients left it.
    let hubConfiguration: HubConfiguration
    let deviceSecret = SharedSecret.generate()
    let moduleSecret = SharedSecret.generate()
    let deviceConnection: IoTHubConnectionString
    let moduleConnection: IoTHubConnectionString
    let logger: Logger

    /// What starts and stops during a test; tests may call the harness from several tasks.
    private struct Running: Sendable {
        var hubServer: BackgroundServer<RunningHubServer>
        var module: RunningGroup?
        var agentGroup: RunningGroup?
        var agent: DeviceAgentService?
    }

    /// A service's group and the task that runs it, awaited when the service stops.
    typealias RunningGroup = (group: ServiceGroup, task: Task<Void, any Error>)

    private let running: Mutex<Running>

    var hub: RunningHubServer { running.withLock { $0.hubServer.handle } }
    var agent: DeviceAgentService? { running.withLock { $0.agent } }

    /// Runs `body` with a new harness and tears it down (agent, module, hub, storage, files)
    /// afterwards, awaited, whether `body` returned or threw.
    static func with<Result>(storageTLS: Bool = false, _ body: (FlowHarness) async throws -> Result) async throws -> Result {
        try await withFixture(try await FlowHarness(storageTLS: storageTLS), tearDown: { await $0.tearDown() }, body)
    }

    /// - Parameter storageTLS: serve storage over HTTPS, its certificate signed by the hub's
    ///   development CA (made by the storage first, then found by the hub), trusted process-wide.
    private init(storageTLS: Bool = false) async throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("edgefactor-flow-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var logger = Logger(label: "flow-test")
        logger.logLevel = ProcessInfo.processInfo.environment["FLOW_LOG"] == nil ? .critical : .debug
        self.logger = logger
        let storageConfiguration = StorageServerConfiguration(
            dataDirectory: root.appendingPathComponent("storage").path, blobPort: 0, queuePort: 0,
            tls: storageTLS ? .developmentCA(caDirectory: root.appendingPathComponent("hub/certs").path) : nil, logger: logger)
        storageServer = try await BackgroundServer.start { try await StorageServer.withRunning(storageConfiguration, $0) }
        storage = storageServer.handle
        if let ca = storage.caCertificatePEM { try StorageTrust.add(certificatesPEM: ca) }
        let firstConfiguration = HubConfiguration(
            dataDirectory: root.appendingPathComponent("hub"), mqttTLSPort: 0, mqttPlainPort: 0, restPort: 0, logger: logger)
        let hubServer = try await BackgroundServer.start { try await HubServer.withRunning(firstConfiguration, $0) }
        let hub = hubServer.handle
        var hubConfiguration = firstConfiguration
        hubConfiguration.mqttTLSPort = hub.mqttTLSPort
        hubConfiguration.mqttPlainPort = hub.mqttPlainPort
        hubConfiguration.restPort = hub.restPort
        self.hubConfiguration = hubConfiguration
        running = Mutex(Running(hubServer: hubServer))
        deviceConnection = try await hub.addDevice(Self.deviceId)
        moduleConnection = try await hub.addModule(deviceId: Self.deviceId, moduleId: Self.moduleId)
    }

    /// Stops everything and removes the temporary files.
    func tearDown() async {
        await stopAgent()
        await stopModule()
        await running.withLock { $0.hubServer }.stop()
        await storageServer.stop()
        try? FileManager.default.removeItem(at: root)
    }

    // MARK: Camera

    /// A folder camera showing `photos` (names under var/photos) in turn, looping.
    func camera(_ photos: [String]) throws -> String {
        let folder = root.appendingPathComponent("camera-\(UUID().uuidString.prefix(6))", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let photosDirectory = URL(fileURLWithPath: (ProcessInfo.processInfo.environment["EDGEFACTOR_HOME"] ?? "var") + "/photos")
        for (index, photo) in photos.enumerated() {
            try FileManager.default.copyItem(
                at: photosDirectory.appendingPathComponent(photo),
                to: folder.appendingPathComponent(String(format: "%02d-", index) + photo))
        }
        return folder.path
    }

    // MARK: Services

    /// Client options for the built-in hub (plain TCP on loopback), logging into the test's logger.
    var hubClientOptions: HubClientOptions {
        var options = hub.clientOptions(plainTCP: true)
        options.logger = logger
        return options
    }

    func moduleConfiguration() -> EdgeModuleConfiguration {
        var configuration = EdgeModuleConfiguration(
            hub: .connectionString(moduleConnection, hubClientOptions),
            storage: storage.storageConnectionString, moduleSecret: moduleSecret)
        configuration.enqueueTimeout = .seconds(5)
        let agent: @Sendable () -> DeviceAgentService? = { [weak self] in self?.agent }
        configuration.onRequestQueued = { await agent()?.requestQueued() }
        return configuration
    }

    func agentConfiguration(camera: String) -> DeviceAgentConfiguration {
        var configuration = DeviceAgentConfiguration(
            hub: deviceConnection, hubOptions: hubClientOptions, storage: storage.storageConnectionString,
            deviceSecret: deviceSecret, moduleSecrets: [Self.moduleId: moduleSecret], camera: camera,
            cameraOptions: FrameSourceOptions(loop: true))
        configuration.visibilityTimeout = .seconds(3)
        configuration.healthEndpoint = ("127.0.0.1", 0)
        configuration.shutdownGracePeriod = .seconds(5)
        return configuration
    }

    func startModule(_ configuration: EdgeModuleConfiguration? = nil) {
        let service = EdgeModuleService(configuration: configuration ?? moduleConfiguration(), logger: logger)
        let started = Self.run(service, logger: logger)
        running.withLock { $0.module = started }
    }

    func stopModule() async {
        guard let module = running.withLock({ running in running.module.take() }) else { return }
        await module.group.triggerGracefulShutdown()
        _ = await module.task.result
    }

    @discardableResult
    func startAgent(_ configuration: DeviceAgentConfiguration, camera: (any FrameSource)? = nil) throws -> DeviceAgentService {
        let classifier = try Self.classifier.get()
        let service = try DeviceAgentService(configuration: configuration, classifier: classifier, camera: camera, logger: logger)
        let started = Self.run(service, logger: logger)
        running.withLock {
            $0.agent = service
            $0.agentGroup = started
        }
        return service
    }

    /// Graceful stop (SIGTERM).
    func stopAgent() async {
        guard let agentGroup = takeAgent() else { return }
        await agentGroup.group.triggerGracefulShutdown()
        _ = await agentGroup.task.result
    }

    /// Abrupt stop: the agent's tasks are cancelled mid-work and nothing is released, as after
    /// a crash; its queue messages reappear when their visibility timeout lapses.
    func killAgent() async {
        guard let agentGroup = takeAgent() else { return }
        agentGroup.task.cancel()
        _ = await agentGroup.task.result
    }

    private func takeAgent() -> RunningGroup? {
        running.withLock { running in
            running.agent = nil
            return running.agentGroup.take()
        }
    }

    /// Stops the hub gracefully; ``restartHub()`` brings it back.
    func stopHub() async {
        await running.withLock { $0.hubServer }.stop()
    }

    /// Stops the hub (unless it is stopped) and starts it again on the same ports and data.
    func restartHub() async throws {
        await stopHub()
        let configuration = hubConfiguration
        let restarted = try await BackgroundServer.start { try await HubServer.withRunning(configuration, $0) }
        running.withLock { $0.hubServer = restarted }
    }

    static func run(_ service: some Service, logger: Logger) -> RunningGroup {
        let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [], logger: logger))
        let task = Task { try await group.run() }
        return (group, task)
    }

    // MARK: Front-end stand-in

    /// Seals a request with the device secret and invokes `ProcessRequest` on the module.
    func invoke(
        className: String, threshold: Double, lifetime: Duration = .seconds(20)
    ) async throws -> (request: VerificationRequest, response: MethodResponse) {
        let request = try VerificationRequest.make(
            deviceId: Self.deviceId, moduleId: Self.moduleId, className: className, threshold: threshold, lifetime: lifetime)
        let envelope = try SignedEnvelope.seal(request, kind: .request, keyId: Self.deviceId, secret: deviceSecret)
        let payload = try ProcessRequestPayload(request: request, envelope: envelope).jsonData()
        let response = try await invokeRaw(payload)
        return (request, response)
    }

    func invokeRaw(_ payload: Data, method: String = "ProcessRequest") async throws -> MethodResponse {
        try await hub.serviceClient().invokeMethod(
            deviceId: Self.deviceId, moduleId: Self.moduleId, methodName: method, payload: payload,
            responseTimeout: .seconds(15), connectTimeout: .seconds(5))
    }

    /// Invokes until the module answers (it may still be connecting).
    func invokeWhenOnline(className: String, threshold: Double, lifetime: Duration = .seconds(20)) async throws -> (request: VerificationRequest, response: MethodResponse) {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                return try await invoke(className: className, threshold: threshold, lifetime: lifetime)
            } catch let error as IoTHubServiceError where error.status == 404 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    var container: BlobContainerClient {
        BlobContainerClient(connectionString: storage.storageConnectionString, containerName: Self.names.responsesContainer)
    }

    var requestsQueue: QueueClient {
        QueueClient(connectionString: storage.storageConnectionString, queueName: Self.names.requestsQueue)
    }

    var deadLetterQueue: QueueClient {
        QueueClient(connectionString: storage.storageConnectionString, queueName: Self.names.deadLetterQueue)
    }

    /// Waits for `result.json`, checks its signature with the device secret and that it answers
    /// `request`, as the front-end does.
    func result(
        for request: VerificationRequest, in container: BlobContainerClient? = nil, timeout: Duration = .seconds(30)
    ) async throws -> (VerificationResult, SignedEnvelope) {
        let blob = (container ?? self.container).blob(ResultLocation.resultBlob(for: request.requestId))
        guard let (data, _) = await eventuallyValue(timeout: timeout, { try? await blob.download() }) else {
            throw FlowTestError("no result for \(request.className) within \(timeout)")
        }
        let envelope = try SignedEnvelope.decode(data)
        let result = try envelope.open(VerificationResult.self, kind: .result, secret: deviceSecret)
        try result.validate(answering: request)
        return (result, envelope)
    }

    /// Result telemetry stored by the hub for a request.
    func telemetry(for requestId: String) async throws -> [ResultTelemetry] {
        try await hub.telemetry(deviceId: Self.deviceId, limit: 1000)
            .filter { $0.properties["requestId"] == requestId }
            .map { try ResultTelemetry.decode($0.body) }
    }

    /// Waits until the hub has `count` telemetry messages for the request.
    func waitForTelemetry(_ requestId: String, count: Int = 1, timeout: Duration = .seconds(20)) async throws -> [ResultTelemetry] {
        _ = try await eventually(timeout: timeout) { try await telemetry(for: requestId).count >= count }
        return try await telemetry(for: requestId)
    }

    /// Fetches the agent's Prometheus metrics over HTTP.
    func metrics() async throws -> String {
        guard let port = agent?.healthPort else { throw FlowTestError("the agent has no health endpoint yet") }
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        return String(decoding: data, as: UTF8.self)
    }
}

struct FlowTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Reads one metric value from Prometheus text (the first sample whose name and labels match).
func metricValue(_ text: String, _ name: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
        return Double(line.split(separator: " ").last ?? "")
    }
    return nil
}
