import AzureStorage
import DeviceAgent
import EdgeModule
import Foundation
import HubService
import IoTHub
import Logging
import StorageService
import Synchronization
import TestSupport
import Verification
import Vision

/// The device side in one process for `edgefactor-bench flow`: built-in storage and hub on
/// loopback, an edge module and a device agent, a folder camera showing the object from the first
/// frame, and a front-end stand-in that seals requests and invokes `ProcessRequest`.
final class FlowRig: Sendable {
    static let deviceId = "bench-device"
    static let moduleId = "edgefactor-module"

    let root: URL
    let storage: RunningStorageServer
    let storageServer: BackgroundServer<RunningStorageServer>
    let hub: RunningHubServer
    let hubServer: BackgroundServer<RunningHubServer>
    let service: ServiceClient
    let deviceSecret = SharedSecret.generate()
    let moduleSecret = SharedSecret.generate()
    let classifier: ImageClassifier
    let camera: String
    let container: BlobContainerClient
    /// Whether the module wakes the agent directly after queueing (both in one process), or the
    /// agent finds requests by polling the queue (separate processes).
    let wakeAgent = Mutex(true)
    private let tasks = Mutex<[Task<Void, any Error>]>([])
    private let agent = Mutex<DeviceAgentService?>(nil)

    init(photo: String, threads: Int, spinning: Bool) async throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("edgefactor-bench-flow-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var quiet = Logger(label: "bench")
        quiet.logLevel = .critical
        let storageConfiguration = StorageServerConfiguration(
            dataDirectory: root.appendingPathComponent("storage").path, blobPort: 0, queuePort: 0, logger: quiet)
        storageServer = try await BackgroundServer.start { try await StorageServer.withRunning(storageConfiguration, $0) }
        storage = storageServer.handle
        var hubConfiguration = HubConfiguration.ephemeral(logger: quiet)
        hubConfiguration.dataDirectory = root.appendingPathComponent("hub")
        let hubConfigurationToRun = hubConfiguration
        hubServer = try await BackgroundServer.start { try await HubServer.withRunning(hubConfigurationToRun, $0) }
        hub = hubServer.handle
        service = hub.serviceClient()
        var classification = try ClassifierConfiguration.defaultModel()
        classification.session.threads = threads
        classification.session.spinning = spinning
        classifier = try ImageClassifier(configuration: classification)
        let cameraDirectory = root.appendingPathComponent("camera")
        try FileManager.default.createDirectory(at: cameraDirectory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: photo), to: cameraDirectory.appendingPathComponent("frame.jpg"))
        camera = cameraDirectory.path
        container = BlobContainerClient(connectionString: storage.storageConnectionString, containerName: DeviceStorageNames(deviceId: Self.deviceId).responsesContainer)

        var options = hub.clientOptions()
        options.logger = quiet
        let moduleConnection = try await hub.addModule(deviceId: Self.deviceId, moduleId: Self.moduleId)
        let deviceConnection = try await hub.addDevice(Self.deviceId)

        var moduleConfiguration = EdgeModuleConfiguration(
            hub: .connectionString(moduleConnection, options), storage: storage.storageConnectionString, moduleSecret: moduleSecret)
        moduleConfiguration.onRequestQueued = { [weak self] in
            guard let self, self.wakeAgent.withLock({ $0 }) else { return }
            await self.agent.withLock { $0 }?.requestQueued()
        }
        var agentConfiguration = DeviceAgentConfiguration(
            hub: deviceConnection, hubOptions: options, storage: storage.storageConnectionString,
            deviceSecret: deviceSecret, moduleSecrets: [Self.moduleId: moduleSecret], camera: camera,
            cameraOptions: FrameSourceOptions(loop: true))
        agentConfiguration.healthEndpoint = nil
        let agentService = try DeviceAgentService(configuration: agentConfiguration, classifier: classifier, logger: quiet)
        agent.withLock { $0 = agentService }
        let module = EdgeModuleService(configuration: moduleConfiguration, logger: quiet)
        tasks.withLock {
            $0.append(Task { try await module.run() })
            $0.append(Task { try await agentService.run() })
        }
    }

    func shutdown() async {
        for task in tasks.withLock({ $0 }) {
            task.cancel()
            _ = await task.result
        }
        await hubServer.stop()
        await storageServer.stop()
        try? FileManager.default.removeItem(at: root)
    }

    /// When polling for a result starts, after the invoke began: no request is done sooner than
    /// the baseline's fastest iteration, and a poll costs the cores a request needs (an HTTP
    /// round trip to storage every 2 ms), so the benchmark waits until just before that. A later
    /// start can only make a request look slower, never faster.
    let firstPoll = Mutex(Duration.zero)

    /// One request: seal, invoke, wait until `result.json` exists. Returns (invoke, total) times.
    func verify(className: String = "espresso", threshold: Double = 80) async throws -> (invoke: Duration, total: Duration, requestId: String) {
        let clock = ContinuousClock()
        let request = try VerificationRequest.make(deviceId: Self.deviceId, moduleId: Self.moduleId, className: className, threshold: threshold)
        let envelope = try SignedEnvelope.seal(request, kind: .request, keyId: Self.deviceId, secret: deviceSecret)
        let payload = try ProcessRequestPayload(request: request, envelope: envelope).jsonData()
        let start = clock.now
        let response = try await service.invokeMethod(
            deviceId: Self.deviceId, moduleId: Self.moduleId, methodName: "ProcessRequest", payload: payload,
            responseTimeout: .seconds(15), connectTimeout: .seconds(5))
        let invoked = clock.now
        guard response.status == 200 else { throw FlowBenchError("ProcessRequest answered \(response.status)") }
        let blob = container.blob(ResultLocation.resultBlob(for: request.requestId))
        let deadline = start + .seconds(30)
        try await Task.sleep(until: start + firstPoll.withLock { $0 }, clock: clock)
        while clock.now < deadline {
            if try await blob.exists() { return (invoked - start, clock.now - start, request.requestId) }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw FlowBenchError("no result within 30 s")
    }

    /// Waits until the module is connected (the first invoke may find it offline).
    func waitUntilOnline() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            do {
                _ = try await verify()
                return
            } catch where ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// The agent's timings (ms per stage) from the telemetry of `requestIds`.
    func timings(for requestIds: Set<String>) async throws -> [[String: Double]] {
        var found: [[String: Double]] = []
        var after: Int64 = 0
        while true {
            let page = try await hub.telemetry(deviceId: Self.deviceId, afterId: after, limit: 1000)
            guard let last = page.last else { break }
            for message in page where requestIds.contains(message.properties["requestId"] ?? "") {
                found.append(try ResultTelemetry.decode(message.body).timings)
            }
            after = last.id
            if page.count < 1000 { break }
        }
        return found
    }
}

struct FlowBenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
