import DeviceAgent
import EdgeModule
import Foundation
@testable import FrontEnd
import HubService
import IoTHub
import Logging
import ServiceLifecycle
import StorageService
import TestSupport
import Testing
import Verification
import Vision

/// The whole system in one process, nothing simulated but the camera (an image folder with the
/// sample photos: `coffee.jpg` is an espresso at about 95 %): the built-in hub and storage, the
/// real edge module and device agent with the default model, and the front-end.
@Suite("Front-end with the real edge module and device agent", .serialized)
struct RealDeviceTests {
    static let classifier: Result<ImageClassifier, any Error> = Result {
        try ImageClassifier(configuration: ClassifierConfiguration.defaultModel())
    }

    /// The real edge module and device agent of ``LiveServices``' device, each in a service group
    /// of its own; ``stop()`` shuts them down gracefully, agent first.
    struct Device: Sendable {
        let services: LiveServices
        let moduleSecret: SharedSecret
        private let groups: [FlowGroup]

        typealias FlowGroup = (group: ServiceGroup, task: Task<Void, any Error>)

        /// Runs `body` with the module and agent running, a folder camera showing `photos`.
        static func with<Result>(_ services: LiveServices, camera photos: [String], _ body: () async throws -> Result) async throws -> Result {
            try await withFixture(try await Device.start(services, camera: photos), tearDown: { await $0.stop() }) { _ in try await body() }
        }

        private init(services: LiveServices, moduleSecret: SharedSecret, groups: [FlowGroup]) {
            self.services = services
            self.moduleSecret = moduleSecret
            self.groups = groups
        }

        private static func start(_ services: LiveServices, camera photos: [String]) async throws -> Device {
            let moduleSecret = SharedSecret.generate()
            let hub = services.hub
            let moduleConnection = try #require(try await hub.connectionString(deviceId: LiveServices.deviceId, moduleId: LiveServices.moduleId))
            let deviceConnection = try #require(try await hub.connectionString(deviceId: LiveServices.deviceId))
            let module = EdgeModuleService(
                configuration: EdgeModuleConfiguration(
                    hub: .connectionString(moduleConnection, hub.clientOptions(plainTCP: true)),
                    storage: services.storage.storageConnectionString, moduleSecret: moduleSecret),
                logger: services.logger)
            var agentConfiguration = DeviceAgentConfiguration(
                hub: deviceConnection, hubOptions: hub.clientOptions(plainTCP: true), storage: services.storage.storageConnectionString,
                deviceSecret: services.deviceSecret, moduleSecrets: [LiveServices.moduleId: moduleSecret], camera: try camera(photos, in: services.root),
                cameraOptions: FrameSourceOptions(loop: true))
            agentConfiguration.healthEndpoint = nil
            let agent = try DeviceAgentService(configuration: agentConfiguration, classifier: try RealDeviceTests.classifier.get(), logger: services.logger)
            let groups = ([module, agent] as [any Service]).map { service -> FlowGroup in
                let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [], logger: services.logger))
                return (group, Task { try await group.run() })
            }
            return Device(services: services, moduleSecret: moduleSecret, groups: groups)
        }

        func stop() async {
            for (group, task) in groups.reversed() {
                await group.triggerGracefulShutdown()
                _ = await task.result
            }
        }

        private static func camera(_ photos: [String], in root: URL) throws -> String {
            let folder = root.appendingPathComponent("camera", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let home = ProcessInfo.processInfo.environment["EDGEFACTOR_HOME"] ?? "var"
            for (index, photo) in photos.enumerated() {
                try FileManager.default.copyItem(
                    at: URL(fileURLWithPath: home).appendingPathComponent("photos/\(photo)"),
                    to: folder.appendingPathComponent(String(format: "%02d-", index) + photo))
            }
            return folder.path
        }
    }

    /// Signs in as alice, waits until the device has found the object, and checks that the
    /// evidence served to this session is a JPEG; returns the request id.
    private static func signInUntilFound(_ browser: BrowserSession) async throws -> String {
        let requestId = try #require(try await browser.signIn().requestId)
        let outcome = try await browser.waitForOutcome(requestId, timeout: .seconds(60))
        #expect(outcome["phase"] as? String == "found")
        let image = try await browser.get("/verify/\(requestId)/image")
        #expect(image.status == .ok)
        #expect(Array(image.body.readableBytesView.prefix(2)) == [0xFF, 0xD8], "a JPEG")
        return requestId
    }

    @Test("espresso shown: the module queues, the agent finds it, the front-end validates and signs in")
    func found() async throws {
        try await LiveServices.with { services in
            try await Device.with(services, camera: ["coffee.jpg"]) {
                let backend = CountingBackend(services.backend)
                let harness = try await FrontEndHarness(backend: backend, secrets: services.secrets)
                try await harness.users.update(username: "alice", changes: .init(classes: ["espresso"], threshold: 50))
                try await harness.test { client in
                    let browser = BrowserSession(client)
                    let requestId = try await Self.signInUntilFound(browser)
                    #expect(try await browser.get("/verify/\(requestId)").text.contains("Verified"))
                    let completed = try await browser.post("/verify/\(requestId)/complete", form: ["csrf": try #require(browser.csrf)])
                    #expect(completed.location == "/account")
                }
                let completed = try #require(try await AuditLog(database: harness.database).recent().first { $0.kind == .verificationCompleted })
                #expect(completed.outcome == "found")
                #expect((completed.confidence ?? 0) >= 50)
                // The module announces the configured container: it is polled once per round, not twice.
                #expect(!backend.readContainers.isEmpty)
                #expect(backend.readContainers.allSatisfy { $0 == nil }, "\(backend.readContainers)")
            }
        }
    }

    @Test("results the module's settings moved to another container are still found and validated")
    func movedContainer() async throws {
        try await LiveServices.with { services in
            let service = services.hub.serviceClient()
            _ = try await service.updateDesiredProperties(
                deviceId: LiveServices.deviceId, moduleId: LiveServices.moduleId, Data(#"{"responsesContainer":"evidence-moved"}"#.utf8))
            try await Device.with(services, camera: ["coffee.jpg"]) {
                // The agent has applied the module's settings.
                let applied = try await eventually(timeout: .seconds(30)) {
                    try await service.getTwin(deviceId: LiveServices.deviceId).properties?.reported["agentSettings"]?["responsesContainer"] == .string("evidence-moved")
                }
                #expect(applied, "the agent never applied the module's settings")
                // The front-end is configured with the original container only.
                let backend = AzureVerificationBackend(hub: service, container: services.container, storage: services.storage.storageConnectionString)
                let harness = try await FrontEndHarness(backend: backend, secrets: services.secrets)
                try await harness.users.update(username: "alice", changes: .init(classes: ["espresso"], threshold: 50))
                try await harness.test { client in
                    let browser = BrowserSession(client)
                    let requestId = try await Self.signInUntilFound(browser)
                    // The evidence is in the moved container, not the configured one.
                    #expect(try await services.container.blob(ResultLocation.resultBlob(for: requestId)).exists() == false)
                }
            }
        }
    }

    @Test("announced containers are taken only when they are valid names")
    func announcedContainerParsing() {
        #expect(VerificationWorker.announcedContainer(Data(#"{"Response":"x","ResponsesContainer":"evidence-2"}"#.utf8)) == "evidence-2")
        #expect(VerificationWorker.announcedContainer(Data(#"{"Response":"x"}"#.utf8)) == nil)
        #expect(VerificationWorker.announcedContainer(Data(#"{"ResponsesContainer":"../secrets"}"#.utf8)) == nil)
        #expect(VerificationWorker.announcedContainer(Data(#"{"ResponsesContainer":7}"#.utf8)) == nil)
        #expect(VerificationWorker.announcedContainer(Data("not json".utf8)) == nil)
    }

    @Test("a class the camera never shows ends as not found at expiry")
    func notFound() async throws {
        try await LiveServices.with { services in
            try await Device.with(services, camera: ["coffee.jpg"]) {
                let harness = try await FrontEndHarness(backend: services.backend, secrets: services.secrets) {
                    $0.verification.requestLifetime = .seconds(6)
                    // The agent answers at the request's expiry; a loaded machine (the suite runs in
                    // parallel) can take longer than the default 5 s to store that answer.
                    $0.verification.resultGrace = 30
                }
                try await harness.test { client in
                    let browser = BrowserSession(client)
                    let requestId = try #require(try await browser.signIn().requestId)  // alice: banana
                    let outcome = try await browser.waitForOutcome(requestId, timeout: .seconds(60))
                    #expect(outcome["phase"] as? String == "not-found")
                }
            }
        }
    }
}
