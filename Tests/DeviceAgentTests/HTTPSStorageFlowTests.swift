import AzureStorage
import Crypto
import Foundation
import FrontEnd
import Testing
import Verification

@testable import DeviceAgent

/// The whole verification over HTTPS storage: the front-end's grants name https endpoints, the
/// module and the agent work on them, and the front-end reads the sealed result and image, every
/// client trusting the one development CA that signs the hub's certificate too.
@Suite(.serialized) struct HTTPSStorageFlowTests {
    @Test("module and agent on https grants answer a request; the front-end verifies it over https")
    func verificationOverHTTPS() async throws {
        try await FlowHarness.with(storageTLS: true) { flow in
            #expect(flow.storage.caCertificatePEM == flow.hub.caCertificatePEM, "one CA signs the hub's and the storage's certificates")
            let account = flow.storage.storageConnectionString
            #expect(account.connectionString.hasPrefix("DefaultEndpointsProtocol=https;"))
            let policy = try await DeviceStorageGrants.prepare(for: FlowHarness.deviceId, account: account)
            let grants = try DeviceStorageGrants.issue(for: FlowHarness.deviceId, account: account, lifetime: .seconds(3600), policy: policy)
            for grant in [grants.module, grants.agent] {
                #expect(grant.queueEndpoint.scheme == "https")
                #expect(grant.blobEndpoint.scheme == "https")
            }

            var module = flow.moduleConfiguration()
            module.storage = .grant(grants.module)
            flow.startModule(module)
            var agent = flow.agentConfiguration(camera: try flow.camera(["coffee.jpg"]))
            agent.storage = .grant(grants.agent)
            try flow.startAgent(agent)

            let (request, response) = try await flow.invokeWhenOnline(className: "espresso", threshold: 50)
            #expect(response.status == 200)
            let (result, envelope) = try await flow.result(for: request)
            #expect(result.outcome == .found)
            let (jpeg, properties) = try await flow.container.blob(ResultLocation.imageBlob(for: request.requestId)).download()
            #expect(SHA256.hash(data: jpeg).map { String(format: "%02x", $0) }.joined() == result.imageSHA256)
            #expect(properties.metadata["signature"] == envelope.sig)
            #expect(try await flow.deadLetterQueue.peek(maxMessages: 32).isEmpty)
        }
    }
}
