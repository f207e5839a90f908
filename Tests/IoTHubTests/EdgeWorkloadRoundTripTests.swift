import Foundation
import HubService
import IoTHub
import TestSupport
import Testing

/// A module client as IoT Edge runs it, against the real built-in hub on loopback in the edge
/// hub's role: identity, trust bundle and SAS signatures from a workload-API stand-in.
@Suite struct EdgeWorkloadRoundTripTests {
    @Test func anIoTEdgeModuleSignsThroughTheWorkloadAPIAndRenewsItsToken() async throws {
        let hubConfigurationToRun = HubConfiguration.ephemeral()
        let hubServer = try await BackgroundServer.start { try await HubServer.withRunning(hubConfigurationToRun, $0) }
        let hub = hubServer.handle
        let identity = try await hub.addModule(deviceId: "edge-box", moduleId: "edgefactor")
        let workload = try await WorkloadStandIn.start(
            moduleId: "edgefactor", generationId: "gen-1", key: identity.sharedAccessKey, trustBundle: hub.caCertificatePEM)
        do {
            let port = try #require(hub.mqttTLSPort)
            let environment = [
                "IOTEDGE_WORKLOADURI": workload.uri, "IOTEDGE_APIVERSION": "2019-01-30",
                "IOTEDGE_MODULEGENERATIONID": "gen-1", "IOTEDGE_DEVICEID": "edge-box", "IOTEDGE_MODULEID": "edgefactor",
                "IOTEDGE_IOTHUBHOSTNAME": "hub.example", "IOTEDGE_GATEWAYHOSTNAME": "localhost:\(port)",
                "IOTEDGE_AUTHSCHEME": "sasToken",
            ]
            // A 3 s token: the client must reconnect with a newly signed one before it expires.
            let module = try await ModuleClient.fromEdgeEnvironment(
                environment, options: HubClientOptions(sasTokenTimeToLive: .seconds(3)))
            await module.onMethod { _ in .json(200, ["ok": true]) }
            try await module.connect()
            #expect(workload.signRequests == 1)
            #expect(try await ping(hub, deviceId: "edge-box", moduleId: "edgefactor") == 200)

            // Two renewals (about 5.4 s); the bound only keeps a broken client from hanging the suite.
            let bound = ContinuousClock.now + .seconds(60)
            while workload.signRequests < 3, ContinuousClock.now < bound { try await Task.sleep(for: .milliseconds(100)) }
            #expect(workload.signRequests >= 3, "the token was not renewed through the workload API")
            _ = try await module.getTwin()
            #expect(try await ping(hub, deviceId: "edge-box", moduleId: "edgefactor") == 200)
            await module.close()

            // The wrong generation is refused by the workload API, and that is a configuration error.
            var stale = environment
            stale["IOTEDGE_MODULEGENERATIONID"] = "gen-0"
            let refused = try await ModuleClient.fromEdgeEnvironment(stale)
            await #expect(throws: IoTEdgeWorkloadError.self) { try await refused.connect() }
        } catch {
            await workload.stop()
            await hubServer.stop()
            throw error
        }
        await workload.stop()
        await hubServer.stop()
    }
}
