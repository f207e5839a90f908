import MQTT
import NIOCore
import Testing

@Suite struct MQTTCodecTests {
    static let samples: [MQTTPacket] = [
        .connect(MQTTConnect(clientId: "dev1/mod1", keepAliveSeconds: 60, cleanSession: false,
                             username: "hub/dev1/mod1/?api-version=2021-04-12", password: Array("SharedAccessSignature sr=x".utf8))),
        .connect(MQTTConnect(clientId: "", keepAliveSeconds: 0, cleanSession: true,
                             will: MQTTWill(topic: "devices/d/messages/events/", payload: [1, 2, 3], qos: .atLeastOnce, retain: true))),
        .connack(MQTTConnAck(sessionPresent: true, returnCode: .accepted)),
        .connack(MQTTConnAck(returnCode: .notAuthorized)),
        .publish(MQTTPublish(topic: "devices/d/messages/events/%24.mid=1", payload: ByteBuffer(string: "{\"a\":1}"), qos: .atLeastOnce, duplicate: true, packetId: 7)),
        .publish(MQTTPublish(topic: "$iothub/methods/POST/ping/?$rid=1", payload: ByteBuffer())),
        .publish(MQTTPublish(topic: "t", payload: ByteBuffer(repeating: 0xAB, count: 300_000), retain: true)),
        .puback(packetId: 65535),
        .subscribe(MQTTSubscribe(packetId: 1, filters: [.init("$iothub/methods/POST/#"), .init("a/+/c", qos: .atMostOnce)])),
        .suback(MQTTSubAck(packetId: 1, returnCodes: [.granted(.atLeastOnce), .failure])),
        .unsubscribe(MQTTUnsubscribe(packetId: 2, topicFilters: ["a/#"])),
        .unsuback(packetId: 2),
        .pingreq, .pingresp, .disconnect,
    ]

    @Test(arguments: samples)
    func encodesAndDecodesEveryPacket(_ packet: MQTTPacket) throws {
        var buffer = ByteBuffer()
        try packet.encode(into: &buffer)
        let total = buffer.readableBytes
        // Fed one byte at a time, the packet only appears when the last byte arrives.
        var partial = ByteBuffer()
        for index in 0..<total - 1 {
            partial.writeInteger(buffer.getInteger(at: index, as: UInt8.self) ?? 0)
            #expect(try MQTTPacket.decode(from: &partial, maxPacketSize: 1 << 20) == nil)
        }
        var whole = buffer
        #expect(try MQTTPacket.decode(from: &whole, maxPacketSize: 1 << 20) == packet)
        #expect(whole.readableBytes == 0)
    }

    @Test func decodesBackToBackPackets() throws {
        var buffer = ByteBuffer()
        try MQTTPacket.pingreq.encode(into: &buffer)
        try MQTTPacket.puback(packetId: 3).encode(into: &buffer)
        #expect(try MQTTPacket.decode(from: &buffer, maxPacketSize: 100) == .pingreq)
        #expect(try MQTTPacket.decode(from: &buffer, maxPacketSize: 100) == .puback(packetId: 3))
        #expect(try MQTTPacket.decode(from: &buffer, maxPacketSize: 100) == nil)
    }

    static let invalid: [(bytes: [UInt8], error: MQTTProtocolError)] = [
        ([0x00, 0x00], .unsupportedPacketType(0)),
        ([0xF0, 0x00], .unsupportedPacketType(15)),
        ([0x50, 0x02, 0x00, 0x01], .unsupportedPacketType(5)),           // PUBREC (QoS 2 flow)
        ([0xC1, 0x00], .invalidFixedHeaderFlags(type: 12, flags: 1)),      // PINGREQ with flags
        ([0x80, 0x05, 0, 1, 0, 1, 0x61], .invalidFixedHeaderFlags(type: 8, flags: 0)), // SUBSCRIBE must have 0b0010
        ([0x36, 0x05, 0, 1, 0x74, 0, 1], .invalidFixedHeaderFlags(type: 3, flags: 6)), // PUBLISH QoS 3
        ([0x38, 0x03, 0, 1, 0x74], .invalidFixedHeaderFlags(type: 3, flags: 8)),       // DUP with QoS 0
        ([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], .malformedRemainingLength),
        ([0x30, 0xFF, 0xFF, 0x7F], .packetTooLarge(size: 2_097_155, limit: 1024)),
        ([0x30, 0x04, 0, 2, 0xC3, 0x28], .invalidUTF8),                   // broken UTF-8 topic
        ([0x30, 0x04, 0, 2, 0x61, 0x00], .invalidUTF8),                   // U+0000 in a string
        ([0x30, 0x03, 0, 1, 0x23], .invalidTopic("#")),                   // wildcard in a topic name
        ([0x30, 0x02, 0, 0], .invalidTopic("")),
        ([0x32, 0x05, 0, 1, 0x74, 0, 0], .malformedPacket("packet identifier 0")),
        ([0x40, 0x03, 0, 1, 9], .malformedPacket("PUBACK has 1 unexpected trailing bytes")),
        ([0x82, 0x02, 0, 1], .malformedPacket("SUBSCRIBE without topic filters")),
        ([0x82, 0x06, 0, 1, 0, 1, 0x61, 3], .malformedPacket("SUBSCRIBE requested QoS byte 0x3")),
        ([0x82, 0x07, 0, 1, 0, 2, 0x61, 0x23, 1], .invalidTopic("a#")),
        ([0x10, 0x0C, 0, 4, 0x4D, 0x51, 0x54, 0x54, 3, 0x02, 0, 60, 0, 0], .unacceptableProtocol(name: "MQTT", level: 3)),
        ([0x10, 0x0C, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0x03, 0, 60, 0, 0], .malformedPacket("CONNECT reserved flag set")),
        ([0x10, 0x0C, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0x40, 0, 60, 0, 0], .malformedPacket("CONNECT password without user name")),
        ([0x10, 0x0C, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0x08, 0, 60, 0, 0], .malformedPacket("CONNECT will QoS/retain set without a will")),
        ([0x10, 0x0C, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, 0, 5], .malformedPacket("string runs past the packet end")),
        ([0x20, 0x02, 0x02, 0x00], .malformedPacket("CONNACK reserved flags set")),
        ([0x20, 0x02, 0x00, 0x06], .malformedPacket("CONNACK return code 6")),
    ]

    @Test(arguments: 0..<invalid.count)
    func rejectsInvalidPackets(_ index: Int) {
        let (bytes, error) = Self.invalid[index]
        var buffer = ByteBuffer(bytes: bytes)
        #expect(throws: error) { try MQTTPacket.decode(from: &buffer, maxPacketSize: 1024) }
    }

    @Test func oversizedPacketIsRejectedFromItsHeaderAlone() {
        // Only the fixed header has arrived: the decoder must not wait for 200 KB it will refuse.
        var buffer = ByteBuffer(bytes: [0x30, 0x80, 0x80, 0x0C])
        #expect(throws: MQTTProtocolError.packetTooLarge(size: 196_612, limit: 65_536)) {
            try MQTTPacket.decode(from: &buffer, maxPacketSize: 65_536)
        }
    }

    @Test func encoderRefusesFieldsItCannotRepresent() {
        let long = String(repeating: "a", count: 70_000)
        var buffer = ByteBuffer()
        #expect(throws: MQTTProtocolError.fieldTooLong(70_000)) {
            try MQTTPacket.publish(MQTTPublish(topic: long, payload: ByteBuffer())).encode(into: &buffer)
        }
        #expect(throws: MQTTProtocolError.self) {
            try MQTTPacket.publish(MQTTPublish(topic: "t", payload: ByteBuffer(), qos: .atLeastOnce)).encode(into: &buffer)
        }
    }

    @Test func topicFiltersMatchAsMQTTSays() throws {
        #expect(MQTTTopic.matches(filter: "$iothub/methods/POST/#", topic: "$iothub/methods/POST/ping/?$rid=1"))
        #expect(MQTTTopic.matches(filter: "a/+/c", topic: "a/b/c"))
        #expect(!MQTTTopic.matches(filter: "a/+/c", topic: "a/b/d"))
        #expect(MQTTTopic.matches(filter: "a/#", topic: "a"))
        #expect(!MQTTTopic.matches(filter: "#", topic: "$iothub/twin/res/200"))
        #expect(!MQTTTopic.matches(filter: "a/b", topic: "a/b/c"))
        try MQTTTopic.validateFilter("+/+/#")
        #expect(throws: MQTTProtocolError.invalidTopic("a/#/b")) { try MQTTTopic.validateFilter("a/#/b") }
        #expect(throws: MQTTProtocolError.invalidTopic("a+")) { try MQTTTopic.validateFilter("a+") }
    }
}
