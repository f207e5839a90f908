import Foundation
import HubService
import IoTHub
import MQTT
import NIOCore
import Synchronization
import Testing
import TestSupport

/// MQTT session semantics: one connection per identity, persistent subscriptions, twins, reconnects.
@Suite struct HubSessionTests {
    @Test func aSecondConnectionReplacesTheFirst() async throws {
        try await withHub { hub in
            let device = try await hub.addDevice("d1")
            let first = try await RawMQTTClient.connect(port: try #require(hub.mqttPlainPort))
            #expect(try await first.handshake(device)?.returnCode == .accepted)
            let second = try await RawMQTTClient.connect(port: try #require(hub.mqttPlainPort))
            #expect(try await second.handshake(device)?.returnCode == .accepted)
            #expect(await first.waitUntilClosed())
            try second.send(.pingreq)
            #expect(await second.nextPacket() == .pingresp)
            #expect(hub.isConnected(deviceId: "d1"))
        }
    }

    @Test func subscriptionsSurviveReconnectsUnlessTheSessionIsClean() async throws {
        try await withHub { hub in
            let module = try await hub.addModule(deviceId: "d1", moduleId: "m1")
            let port = try #require(hub.mqttPlainPort)
            let first = try await RawMQTTClient.connect(port: port)
            #expect(try await first.handshake(module)?.sessionPresent == false)
            try first.send(.subscribe(MQTTSubscribe(packetId: 1, filters: [.init(IoTHubTopic.methodsSubscription)])))
            #expect(await first.nextPacket() == .suback(MQTTSubAck(packetId: 1, returnCodes: [.granted(.atLeastOnce)])))
            await first.close()

            // Reconnect without subscribing again (what the Python SDK does): methods still arrive.
            let second = try await RawMQTTClient.connect(port: port)
            #expect(try await second.handshake(module)?.sessionPresent == true)
            let service = hub.serviceClient()
            async let call = service.invokeMethod(deviceId: "d1", moduleId: "m1", methodName: "ping", payload: Data("[1,2]".utf8), responseTimeout: .seconds(5))
            guard case .publish(let request)? = await second.nextPacket() else {
                Issue.record("no method request after reconnect")
                return
            }
            #expect(request.topic.hasPrefix("$iothub/methods/POST/ping/?$rid="))
            #expect(String(buffer: request.payload) == "[1,2]")
            let rid = try #require(IoTHubTopic.query(of: request.topic)["rid"])
            // Another identity cannot answer for it.
            let intruder = try await RawMQTTClient.connect(port: port)
            #expect(try await intruder.handshake(try await hub.addDevice("d2"))?.returnCode == .accepted)
            try intruder.send(.publish(MQTTPublish(topic: IoTHubTopic.methodResponse(status: 666, requestId: rid), payload: ByteBuffer(string: "1"))))
            try second.send(.publish(MQTTPublish(topic: IoTHubTopic.methodResponse(status: 202, requestId: rid), payload: ByteBuffer(string: "{\"ok\":true}"), qos: .atLeastOnce, packetId: 9)))
            #expect(await second.nextPacket() == .puback(packetId: 9))
            let response = try await call
            #expect(response.status == 202)
            #expect(String(decoding: response.payload, as: UTF8.self) == "{\"ok\":true}")
            await second.close()

            // A clean session forgets the subscription: the method finds nobody listening.
            let clean = try await RawMQTTClient.connect(port: port)
            #expect(try await clean.handshake(module, cleanSession: true)?.sessionPresent == false)
            await #expect(throws: IoTHubServiceError.self) {
                _ = try await service.invokeMethod(deviceId: "d1", moduleId: "m1", methodName: "ping", payload: Data("{}".utf8))
            }
        }
    }

    @Test func twinVersionsAndDesiredPatches() async throws {
        try await withHub { hub in
            let device = try await hub.addDevice("d1")
            let client = DeviceClient(connectionString: device, options: hub.clientOptions())
            let updates = await client.desiredPropertyUpdates()
            try await client.connect()
            let twin = try await client.getTwin()
            #expect(twin.desiredVersion == 1 && twin.reportedVersion == 1)
            #expect(try await client.updateReportedProperties(["fw": .string("1.0"), "nested": .object(["a": .int(1), "b": .int(2)])]) == 2)
            #expect(try await client.updateReportedProperties(["nested": .object(["a": .null])]) == 3)

            let service = hub.serviceClient()
            let serviceTwin = try await service.getTwin(deviceId: "d1")
            #expect(serviceTwin.properties?.reported["nested"] == .object(["b": .int(2)]))
            #expect(serviceTwin.reportedVersion == 3)

            let updated = try await service.updateDesiredProperties(deviceId: "d1", Data(#"{"interval":5}"#.utf8))
            #expect(updated.desiredVersion == 2)
            var iterator = updates.makeAsyncIterator()
            let patch = try #require(await iterator.next())
            #expect(patch == ["interval": .int(5), "$version": .int(2)])
            #expect(try await client.getTwin().decodeDesired(as: [String: JSONValue].self)["interval"] == .int(5))
            await client.close()
        }
    }

    @Test func swiftClientReconnectsAndResubscribesAfterBeingDropped() async throws {
        try await withHub { hub in
            let module = try await hub.addModule(deviceId: "d1", moduleId: "m1")
            var options = hub.clientOptions()
            options.initialReconnectDelay = .milliseconds(100)
            let client = ModuleClient(connectionString: module, options: options)
            await client.onMethod { request in .json(200, ["name": request.name]) }
            try await client.connect()
            let service = hub.serviceClient()
            #expect(try await service.invokeMethod(deviceId: "d1", moduleId: "m1", methodName: "one", payload: Data("1".utf8)).status == 200)

            // Removing and re-adding the module drops its connection and clears its session;
            // the client reconnects (after backoff) and subscribes again by itself.
            try await hub.remove(deviceId: "d1", moduleId: "m1")
            #expect(await eventually { !hub.isConnected(deviceId: "d1", moduleId: "m1") })
            _ = try await service.createModule(deviceId: "d1", moduleId: "m1", primaryKey: module.sharedAccessKey)
            let response = try await service.invokeMethod(
                deviceId: "d1", moduleId: "m1", methodName: "two", payload: Data("2".utf8),
                responseTimeout: .seconds(5), connectTimeout: .seconds(20)
            )
            #expect(try response.decodePayload(as: [String: String].self) == ["name": "two"])
            try await client.sendTelemetry(TelemetryMessage(body: Data("after".utf8)))
            await client.close()
        }
    }

    /// close() waits for the session's method handlers; from inside one it must not wait for itself.
    @Test func aMethodHandlerCanCloseItsOwnClient() async throws {
        try await withHub { hub in
            let device = try await hub.addDevice("d1")
            let client = DeviceClient(connectionString: device, options: hub.clientOptions(plainTCP: true))
            let closed = Mutex(false)
            await client.onMethod { _ in
                await client.close()
                closed.withLock { $0 = true }
                return .json(200, ["closed": true])
            }
            try await client.connect()
            // The answer cannot be sent (the client closed first): the call times out, which is fine.
            _ = try? await hub.serviceClient().invokeMethod(
                deviceId: "d1", methodName: "shutdown", payload: Data("{}".utf8), responseTimeout: .seconds(5))
            #expect(await eventually { closed.withLock { $0 } })
            #expect(await client.isConnected == false)
        }
    }

    @Test func plainTCPIsOnlyForLoopback() async throws {
        let client = DeviceClient(
            connectionString: IoTHubConnectionString(hostName: "hub.example.com", deviceId: "d", sharedAccessKey: "AAAA"),
            options: HubClientOptions(transport: .plainTCPLoopbackDevelopment)
        )
        await #expect(throws: IoTHubConfigurationError.self) { try await client.connect() }
    }
}
