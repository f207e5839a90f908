import HubService
import IoTHub
import MQTT
import NIOCore
import Testing

/// Requests that the hub answers after a database write (SUBSCRIBE, UNSUBSCRIBE) are answered in
/// the order they were sent, even when they arrive in one TCP segment (MQTT 3.1.1 §4.6).
@Suite struct HubRequestOrderTests {
    /// The packets, encoded back to back into one buffer so the hub reads them in one go.
    private func sendTogether(_ packets: [MQTTPacket], to client: RawMQTTClient) throws {
        var buffer = ByteBuffer()
        for packet in packets { try packet.encode(into: &buffer) }
        client.sendBytes(Array(buffer.readableBytesView))
    }

    private func answers(_ count: Int, from client: RawMQTTClient) async -> [MQTTPacket?] {
        var packets: [MQTTPacket?] = []
        for _ in 0..<count { packets.append(await client.nextPacket()) }
        return packets
    }

    @Test func backToBackSubscribesAreAcknowledgedInRequestOrder() async throws {
        try await withHub { hub in
            let device = try await hub.addDevice("d1")
            let client = try await RawMQTTClient.connect(port: try #require(hub.mqttPlainPort))
            #expect(try await client.handshake(device)?.returnCode == .accepted)
            let filters = ["$iothub/methods/POST/#", "devices/d1/messages/devicebound/#", "$iothub/twin/res/#", "$iothub/twin/PATCH/properties/desired/#"]
            let ids: [UInt16] = Array(1...20)
            try sendTogether(ids.map { id in
                .subscribe(MQTTSubscribe(packetId: id, filters: [.init(filters[Int(id) % filters.count])]))
            }, to: client)
            let expected: [MQTTPacket?] = ids.map { .suback(MQTTSubAck(packetId: $0, returnCodes: [.granted(.atLeastOnce)])) }
            #expect(await answers(ids.count, from: client) == expected)
            await client.close()
        }
    }

    @Test func subscribeThenUnsubscribeAreAnsweredInRequestOrder() async throws {
        try await withHub { hub in
            let device = try await hub.addDevice("d1")
            let client = try await RawMQTTClient.connect(port: try #require(hub.mqttPlainPort))
            #expect(try await client.handshake(device)?.returnCode == .accepted)
            let filter = "$iothub/methods/POST/#"
            var packets: [MQTTPacket] = []
            var expected: [MQTTPacket?] = []
            for round in UInt16(0)..<10 {
                packets.append(.subscribe(MQTTSubscribe(packetId: 2 * round + 1, filters: [.init(filter)])))
                packets.append(.unsubscribe(MQTTUnsubscribe(packetId: 2 * round + 2, topicFilters: [filter])))
                expected.append(.suback(MQTTSubAck(packetId: 2 * round + 1, returnCodes: [.granted(.atLeastOnce)])))
                expected.append(.unsuback(packetId: 2 * round + 2))
            }
            try sendTogether(packets, to: client)
            #expect(await answers(packets.count, from: client) == expected)
            await client.close()
        }
    }
}
