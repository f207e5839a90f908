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
import TestSupport
import Testing
import Verification
import Vision

/// The whole device side in one process, as a deployment would wire it: the built-in storage and
/// hub on loopback ports, an edge module and a device agent as services, an image-folder camera
/// with the sample photos, and a stand-in for the front-end that seals requests, invokes
/// `ProcessRequest` and verifies the results.
final class FlowHarness: @unchecked Sendable {
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
    private(set) var hub: RunningHubServer
    private(set) var hubServer: BackgroundServer<RunningHubServer>
    let hubConfiguration: HubConfiguration
    let deviceSecret = SharedSecret.generate()
    let moduleSecret = SharedSecret.generate()
    let deviceConnection: IoTHubConnectionString
    let moduleConnection: IoTHubConnectionString
    let logger: Logger

    private var moduleGroup: (group: ServiceGroup, task: Task<Void, any Error>)?
    private var agentGroup: (group: ServiceGroup, task: Task<Void, any Error>)?
    private(set) var agent: DeviceAgentService?

    /// - Parameter storageTLS: serve storage over HTTPS, its certificate signed by the hub's
    ///   development CA (made by the storage first, then found by the hub), trusted process-wide.
    init(storageTLS: Bool = false) async throws {
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
        // Fixed ports so that a restarted hub is found where the clients left it.
        let ports = try FlowHarness.freePorts(3)
        hubConfiguration = HubConfiguration(
            dataDirectory: root.appendingPathComponent("hub"), mqttTLSPort: ports[0], mqttPlainPort: ports[1],
            restPort: ports[2], logger: logger)
        let hubConfigurationToRun = hubConfiguration
        hubServer = try await BackgroundServer.start { try await HubServer.withRunning(hubConfigurationToRun, $0) }
        hub = hubServer.handle
        deviceConnection = try await hub.addDevice(Self.deviceId)
        moduleConnection = try await hub.addModule(deviceId: Self.deviceId, moduleId: Self.moduleId)
    }

    /// Stops everything and removes the temporary files.
    func tearDown() async {
        await stopAgent()
        await stopModule()
        await hubServer.stop()
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
        moduleGroup = Self.run(service, logger: logger)
    }

    func stopModule() async {
        guard let moduleGroup else { return }
        await moduleGroup.group.triggerGracefulShutdown()
        _ = await moduleGroup.task.result
        self.moduleGroup = nil
    }

    @discardableResult
    func startAgent(_ configuration: DeviceAgentConfiguration, camera: (any FrameSource)? = nil) throws -> DeviceAgentService {
        let classifier = try Self.classifier.get()
        let service = try DeviceAgentService(configuration: configuration, classifier: classifier, camera: camera, logger: logger)
        agent = service
        agentGroup = Self.run(service, logger: logger)
        return service
    }

    /// Graceful stop (SIGTERM).
    func stopAgent() async {
        guard let agentGroup else { return }
        await agentGroup.group.triggerGracefulShutdown()
        _ = await agentGroup.task.result
        self.agentGroup = nil
        agent = nil
    }

    /// Abrupt stop: the agent's tasks are cancelled mid-work and nothing is released, as after
    /// a crash; its queue messages reappear when their visibility timeout lapses.
    func killAgent() async {
        guard let agentGroup else { return }
        agentGroup.task.cancel()
        _ = await agentGroup.task.result
        self.agentGroup = nil
        agent = nil
    }

    func restartHub() async throws {
        await hubServer.stop()
        let hubConfigurationToRun = hubConfiguration
        hubServer = try await BackgroundServer.start { try await HubServer.withRunning(hubConfigurationToRun, $0) }
        hub = hubServer.handle
    }

    static func run(_ service: some Service, logger: Logger) -> (ServiceGroup, Task<Void, any Error>) {
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
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let (data, _) = try? await blob.download() {
                let envelope = try SignedEnvelope.decode(data)
                let result = try envelope.open(VerificationResult.self, kind: .result, secret: deviceSecret)
                try result.validate(answering: request)
                return (result, envelope)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw FlowTestError("no result for \(request.className) within \(timeout)")
    }

    /// Result telemetry stored by the hub for a request.
    func telemetry(for requestId: String) async throws -> [ResultTelemetry] {
        try await hub.telemetry(deviceId: Self.deviceId, limit: 1000)
            .filter { $0.properties["requestId"] == requestId }
            .map { try ResultTelemetry.decode($0.body) }
    }

    /// Waits until the hub has `count` telemetry messages for the request.
    func waitForTelemetry(_ requestId: String, count: Int = 1, timeout: Duration = .seconds(20)) async throws -> [ResultTelemetry] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found = try await telemetry(for: requestId)
            if found.count >= count { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await telemetry(for: requestId)
    }

    /// Fetches the agent's Prometheus metrics over HTTP.
    func metrics() async throws -> String {
        guard let port = agent?.healthPort else { throw FlowTestError("the agent has no health endpoint yet") }
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        return String(decoding: data, as: UTF8.self)
    }

    static func freePorts(_ count: Int) throws -> [Int] {
        // Bind them all before closing any, so the same port is not handed out twice.
        var sockets: [Int32] = []
        defer { for socket in sockets { close(socket) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            guard bound else { throw FlowTestError("cannot pick a free port") }
            sockets.append(fd)
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
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
