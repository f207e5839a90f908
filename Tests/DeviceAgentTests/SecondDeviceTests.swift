import AzureStorage
import EdgeModule
import Foundation
import FrontEnd
import IoTHub
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport
import Verification

@testable import DeviceAgent

/// A second edge box on the same storage account: each device has its own queue and container by
/// default, holds a grant for those only, and an agent that does read a shared queue leaves the
/// other device's messages where they are.
@Suite(.serialized) struct SecondDeviceTests {
    static let otherDevice = "dev2"

    @Test("two devices reading one shared queue each answer their own requests and dead-letter none of the other's")
    func sharedQueue() async throws {
        try await FlowHarness.with { flow in
            let shared = "shared-requests"
            let camera = try flow.camera(["coffee.jpg"])

            var module = flow.moduleConfiguration()
            module.settings.requestsQueue = shared
            flow.startModule(module)
            var agent = flow.agentConfiguration(camera: camera)
            agent.requestsQueue = shared
            try flow.startAgent(agent)

            // The second box: same module id, its own secrets, the same queue; its agent not yet started,
            // so that ours is the only one to see its requests for a while.
            try await withFixture(try await OtherBox(flow: flow, camera: camera, queue: shared), tearDown: { await $0.stop() }) { other in
                var theirs: [VerificationRequest] = []
                for _ in 0..<3 {
                    theirs.append(try await other.invoke(className: "espresso", threshold: 50))
                }
                #expect(await eventually(timeout: .seconds(20)) { (metricValue((try? await flow.metrics()) ?? "", "edgefactor_agent_messages_left_for_other_devices_total") ?? 0) >= 6 })
                #expect(try await flow.queue(shared).approximateMessageCount() >= 3)
                #expect(try await flow.deadLetterQueue.peek(maxMessages: 32).isEmpty)

                try other.startAgent()
                var mine: [VerificationRequest] = []
                for _ in 0..<3 {
                    mine.append(try await flow.invokeWhenOnline(className: "espresso", threshold: 50).request)
                }
                for request in mine {
                    #expect(try await flow.result(for: request).0.outcome == .found)
                }
                for request in theirs {
                    #expect(try await other.result(for: request).outcome == .found)
                }
                #expect(try await flow.deadLetterQueue.peek(maxMessages: 32).isEmpty)
                #expect(try await flow.queue(DeviceStorageNames(deviceId: Self.otherDevice).deadLetterQueue).peek(maxMessages: 32).isEmpty)
                let metrics = try await flow.metrics()
                #expect(metricValue(metrics, "edgefactor_agent_requests_succeeded_total") == 3)
                #expect((metricValue(metrics, #"edgefactor_agent_requests_rejected_total{reason="bad-signature"}"#) ?? 0) == 0)
            }
        }
    }

    @Test("module and agent on grants answer requests, and the front-end's renewal replaces both grants")
    func grantsAndRenewal() async throws {
        try await FlowHarness.with { flow in
            let account = flow.storage.storageConnectionString
            let policy = try await DeviceStorageGrants.prepare(for: FlowHarness.deviceId, account: account)
            let grants = try DeviceStorageGrants.issue(for: FlowHarness.deviceId, account: account, lifetime: .seconds(3600), policy: policy)
            let moduleFile = flow.root.appendingPathComponent("module.storage-grant.json")
            let agentFile = flow.root.appendingPathComponent("agent.storage-grant.json")
            try grants.module.jsonData().write(to: moduleFile)
            try grants.agent.jsonData().write(to: agentFile)

            var module = flow.moduleConfiguration()
            module.storage = .grant(grants.module)
            module.storageGrantFile = moduleFile
            flow.startModule(module)
            var agent = flow.agentConfiguration(camera: try flow.camera(["coffee.jpg"]))
            agent.storage = .grant(grants.agent)
            agent.storageGrantFile = agentFile
            try flow.startAgent(agent)

            let first = try await flow.invokeWhenOnline(className: "espresso", threshold: 50).request
            #expect(try await flow.result(for: first).0.outcome == .found)

            let renewer = StorageAccessRenewer(
                backend: AzureVerificationBackend(hub: flow.hub.serviceClient(), storage: account),
                secrets: StaticDeviceSecrets([FlowHarness.deviceId: flow.deviceSecret]),
                account: account, lifetime: .seconds(7200), logger: flow.logger)
            let until = try await renewer.renew(.init(deviceId: FlowHarness.deviceId, moduleId: FlowHarness.moduleId))
            #expect(until > grants.agent.expiresOn)
            // The module takes its own at once; the agent's arrives through the queue.
            #expect(try StorageGrant.decode(Data(contentsOf: moduleFile)).expiresOn == until)
            #expect(await eventually(timeout: .seconds(20)) { (try? StorageGrant.decode(Data(contentsOf: agentFile)).expiresOn) == until })
            let renewedAgent = try StorageGrant.decode(Data(contentsOf: agentFile))
            #expect(renewedAgent.queues.keys.sorted() == grants.agent.queues.keys.sorted())
            #expect(renewedAgent.queues != grants.agent.queues)

            // Still working on the new grants; and a replayed (older) renewal cannot roll them back.
            let second = try await flow.invoke(className: "espresso", threshold: 50).request
            #expect(try await flow.result(for: second).0.outcome == .found)
            #expect(try await flow.deadLetterQueue.peek(maxMessages: 32).isEmpty)
        }
    }

    @Test("revoking a device's grants stops every SAS it holds at once, and a new grant works")
    func revocation() async throws {
        try await FlowHarness.with { flow in
            let account = flow.storage.storageConnectionString
            let names = FlowHarness.names
            let policy = try await DeviceStorageGrants.prepare(for: FlowHarness.deviceId, account: account)
            #expect(try await DeviceStorageGrants.prepare(for: FlowHarness.deviceId, account: account) == policy)
            let old = try DeviceStorageGrants.issue(for: FlowHarness.deviceId, account: account, lifetime: .seconds(3600), policy: policy)
            func queue(_ grant: StorageGrant) throws -> QueueClient {
                QueueClient(connectionString: try #require(grant.queue(names.requestsQueue)), queueName: names.requestsQueue)
            }
            _ = try await queue(old.agent).peek()

            try await DeviceStorageGrants.revoke(for: FlowHarness.deviceId, account: account)
            let refused = await #expect(throws: StorageError.self) { _ = try await queue(old.agent).peek() }
            #expect(refused?.status == 403)
            await #expect(throws: StorageError.self) { _ = try await queue(old.module).send("after revocation") }

            let fresh = try await DeviceStorageGrants.prepare(for: FlowHarness.deviceId, account: account)
            #expect(fresh != policy)
            let new = try DeviceStorageGrants.issue(for: FlowHarness.deviceId, account: account, lifetime: .seconds(3600), policy: fresh)
            _ = try await queue(new.agent).peek()
            await #expect(throws: StorageError.self) { _ = try await queue(old.agent).peek() }
        }
    }

    @Test("a renewal sealed with another secret or for another device changes nothing")
    func forgedRenewal() async throws {
        try await FlowHarness.with { flow in
            let account = flow.storage.storageConnectionString
            let policy = try await DeviceStorageGrants.prepare(for: FlowHarness.deviceId, account: account)
            let grants = try DeviceStorageGrants.issue(for: FlowHarness.deviceId, account: account, lifetime: .seconds(3600), policy: policy)
            var agent = flow.agentConfiguration(camera: try flow.camera(["coffee.jpg"]))
            agent.storage = .grant(grants.agent)
            let agentFile = flow.root.appendingPathComponent("agent.storage-grant.json")
            try grants.agent.jsonData().write(to: agentFile)
            agent.storageGrantFile = agentFile
            var module = flow.moduleConfiguration()
            module.storage = .grant(grants.module)
            flow.startModule(module)
            try flow.startAgent(agent)
            _ = try await flow.invokeWhenOnline(className: "espresso", threshold: 50)

            // Sealed with a secret that is not the device's: the module queues it (it cannot tell),
            // the agent refuses it as a bad signature and keeps its grant.
            let forger = StorageAccessRenewer(
                backend: AzureVerificationBackend(hub: flow.hub.serviceClient(), storage: account),
                secrets: StaticDeviceSecrets([FlowHarness.deviceId: .generate()]),
                account: account, lifetime: .seconds(7200), logger: flow.logger)
            _ = try await forger.renew(.init(deviceId: FlowHarness.deviceId, moduleId: FlowHarness.moduleId))
            #expect(await eventually(timeout: .seconds(20)) { (try? await flow.deadLetterQueue.peek(maxMessages: 1).isEmpty) == false })
            #expect(try StorageGrant.decode(Data(contentsOf: agentFile)) == grants.agent)
        }
    }
}

extension StorageAccessRenewer {
    init(backend: AzureVerificationBackend, secrets: StaticDeviceSecrets, account: StorageConnectionString, lifetime: Duration, logger: Logging.Logger) {
        self.init(
            backend: backend, account: account, secrets: secrets, devices: { [] },
            settings: .init(interval: .seconds(3600), lifetime: lifetime), logger: logger)
    }
}

/// A second device's module and agent in the same process, on the harness's hub and storage.
final class OtherBox: Sendable {
    let flow: FlowHarness
    let deviceSecret = SharedSecret.generate()
    let agentService: DeviceAgentService
    let groups: Mutex<[(ServiceGroup, Task<Void, any Error>)]>

    init(flow: FlowHarness, camera: String, queue: String) async throws {
        self.flow = flow
        let deviceId = SecondDeviceTests.otherDevice
        let moduleSecret = SharedSecret.generate()
        let deviceConnection = try await flow.hub.addDevice(deviceId)
        let moduleConnection = try await flow.hub.addModule(deviceId: deviceId, moduleId: FlowHarness.moduleId)
        var module = EdgeModuleConfiguration(
            hub: .connectionString(moduleConnection, flow.hubClientOptions), storage: flow.storage.storageConnectionString, moduleSecret: moduleSecret)
        module.settings.requestsQueue = queue
        var agent = DeviceAgentConfiguration(
            hub: deviceConnection, hubOptions: flow.hubClientOptions, storage: flow.storage.storageConnectionString,
            deviceSecret: deviceSecret, moduleSecrets: [FlowHarness.moduleId: moduleSecret], camera: camera,
            cameraOptions: .init(loop: true))
        agent.requestsQueue = queue
        agent.visibilityTimeout = .seconds(3)
        agent.healthEndpoint = nil
        agentService = try DeviceAgentService(configuration: agent, classifier: try FlowHarness.classifier.get(), logger: flow.logger)
        groups = Mutex([FlowHarness.run(EdgeModuleService(configuration: module, logger: flow.logger), logger: flow.logger)])
    }

    func startAgent() throws {
        let running = FlowHarness.run(agentService, logger: flow.logger)
        groups.withLock { $0.append(running) }
    }

    func stop() async {
        for (group, task) in groups.withLock({ $0 }).reversed() {
            await group.triggerGracefulShutdown()
            _ = await task.result
        }
    }

    func invoke(className: String, threshold: Double) async throws -> VerificationRequest {
        let deviceId = SecondDeviceTests.otherDevice
        let request = try VerificationRequest.make(deviceId: deviceId, moduleId: FlowHarness.moduleId, className: className, threshold: threshold, lifetime: .seconds(20))
        let envelope = try SignedEnvelope.seal(request, kind: .request, keyId: deviceId, secret: deviceSecret)
        let payload = try ProcessRequestPayload(request: request, envelope: envelope).jsonData()
        let deadline = ContinuousClock.now + .seconds(30)
        let service = flow.hub.serviceClient()
        while true {
            let status: Int
            do {
                status = try await service.invokeMethod(
                    deviceId: deviceId, moduleId: FlowHarness.moduleId, methodName: "ProcessRequest", payload: payload,
                    responseTimeout: .seconds(15), connectTimeout: .seconds(5)).status
            } catch {
                // Not connected yet (404): the module is still starting.
                guard error.status == 404, ContinuousClock.now < deadline else { throw error }
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            #expect(status == 200)
            return request
        }
    }

    func result(for request: VerificationRequest) async throws -> VerificationResult {
        let container = flow.container(DeviceStorageNames(deviceId: SecondDeviceTests.otherDevice).responsesContainer)
        let blob = container.blob(ResultLocation.resultBlob(for: request.requestId))
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let (data, _) = try? await blob.download() {
                let result = try SignedEnvelope.decode(data).open(VerificationResult.self, kind: .result, secret: deviceSecret)
                try result.validate(answering: request)
                return result
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw FlowTestError("no result for the other device's \(request.requestId) within 30 s")
    }
}
