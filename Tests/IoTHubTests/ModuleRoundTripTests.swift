import Foundation
import HubService
import IoTHub
import TestSupport
import Testing

/// Swift clients against the real built-in hub on loopback (TLS with the generated CA).
@Suite struct ModuleRoundTripTests {
    @Test func methodInvokedThroughTheHubReachesTheModuleAndTelemetryIsStored() async throws {
        let hubConfigurationToRun = HubConfiguration.ephemeral()
        let hubServer = try await BackgroundServer.start { try await HubServer.withRunning(hubConfigurationToRun, $0) }
        let hub = hubServer.handle
        do {
            let connectionString = try await hub.addModule(deviceId: "edge1", moduleId: "verifier")
            let module = ModuleClient(connectionString: connectionString, options: hub.clientOptions())
            await module.onMethod { request in
                let text = String(decoding: request.payload, as: UTF8.self)
                return .json(200, ["method": request.name, "echo": text])
            }
            try await module.connect()

            let service = hub.serviceClient()
            let response = try await service.invokeMethod(
                deviceId: "edge1", moduleId: "verifier", methodName: "ProcessRequest",
                payload: Data("{\"requestId\":\"r-1\"}".utf8), responseTimeout: .seconds(10)
            )
            #expect(response.status == 200)
            let answer = try response.decodePayload(as: [String: String].self)
            #expect(answer["method"] == "ProcessRequest")
            #expect(answer["echo"] == "{\"requestId\":\"r-1\"}")

            let updates = hub.telemetryUpdates(deviceId: "edge1")
            try await module.sendTelemetry(TelemetryMessage(
                body: Data("{\"found\":true}".utf8), properties: ["alert level": "high/1"],
                contentType: "application/json", contentEncoding: "utf-8", messageId: "m-1"
            ))
            var iterator = updates.makeAsyncIterator()
            let stored = try #require(await iterator.next())
            #expect(stored.moduleId == "verifier")
            #expect(stored.properties["alert level"] == "high/1")
            #expect(stored.systemProperties["$.mid"] == "m-1")
            #expect(stored.systemProperties["$.ct"] == "application/json")
            #expect(String(decoding: stored.body, as: UTF8.self) == "{\"found\":true}")
            let history = try await hub.telemetry(deviceId: "edge1")
            #expect(history.map(\.id) == [stored.id])
            await module.close()
        } catch {
            await hubServer.stop()
            throw error
        }
        await hubServer.stop()
    }

    @Test func aConnectionStringWithAPortReachesTheHubWithoutOtherOptions() async throws {
        let hubConfigurationToRun = HubConfiguration.ephemeral()
        let hubServer = try await BackgroundServer.start { try await HubServer.withRunning(hubConfigurationToRun, $0) }
        let hub = hubServer.handle
        do {
            let port = try #require(hub.mqttTLSPort)
            var direct = try await hub.addModule(deviceId: "edge-port", moduleId: "verifier")
            direct.hostName = "localhost:\(port)"
            var viaGateway = try await hub.addModule(deviceId: "edge-port", moduleId: "gateway")
            viaGateway.hostName = "hub.example"
            viaGateway.gatewayHostName = "localhost:\(port)"
            for connectionString in [direct, viaGateway] {
                // Only the CA: the port comes from the connection string alone.
                let module = ModuleClient(
                    connectionString: try IoTHubConnectionString(connectionString.stringValue),
                    options: HubClientOptions(trustRootsPEM: hub.caCertificatePEM))
                await module.onMethod { _ in .json(200, ["ok": true]) }
                try await module.connect()
                _ = try await module.updateReportedProperties(["reached": .bool(true)])
                #expect(try await ping(hub, deviceId: "edge-port", moduleId: connectionString.moduleId ?? "") == 200)
                await module.close()
            }
        } catch {
            await hubServer.stop()
            throw error
        }
        await hubServer.stop()
    }
}

/// Invokes `Ping` on a module through the hub's service API and returns the module's status.
func ping(_ hub: RunningHubServer, deviceId: String, moduleId: String) async throws -> Int {
    // A module that renews its token reconnects to do so: one caught between two connections is
    // waited for, as IoT Hub waits up to connectTimeoutInSeconds.
    try await hub.serviceClient().invokeMethod(
        deviceId: deviceId, moduleId: moduleId, methodName: "Ping", payload: Data("{}".utf8), responseTimeout: .seconds(10),
        connectTimeout: .seconds(10)
    ).status
}
