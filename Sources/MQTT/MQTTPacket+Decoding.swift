public import NIOCore

extension MQTTPacket {
    /// The largest remaining length MQTT can express (four length bytes).
    public static let maximumRemainingLength = 268_435_455

    /// Decodes one packet from the front of `buffer`.
    ///
    /// Returns `nil` (leaving `buffer` untouched) when the packet is not complete yet, and throws
    /// as soon as the bytes seen so far cannot start a valid packet, so that a peer cannot make us
    /// buffer an oversized packet. `maxPacketSize` bounds the whole packet (header included).
    public static func decode(from buffer: inout ByteBuffer, maxPacketSize: Int) throws(MQTTProtocolError) -> MQTTPacket? {
        var view = buffer
        guard let first = view.readInteger(as: UInt8.self) else { return nil }
        let type = first >> 4
        let flags = first & 0x0F
        try validateFixedHeader(type: type, flags: flags)

        var remaining = 0
        var multiplier = 1
        var lengthBytes = 0
        while true {
            guard let byte = view.readInteger(as: UInt8.self) else { return nil }
            lengthBytes += 1
            remaining += Int(byte & 0x7F) * multiplier
            if byte & 0x80 == 0 { break }
            guard lengthBytes < 4 else { throw .malformedRemainingLength }
            multiplier *= 128
        }
        let total = 1 + lengthBytes + remaining
        guard total <= maxPacketSize else { throw .packetTooLarge(size: total, limit: maxPacketSize) }
        guard var body = view.readSlice(length: remaining) else { return nil }
        buffer = view
        return try decodeBody(type: type, flags: flags, body: &body)
    }

    private static func validateFixedHeader(type: UInt8, flags: UInt8) throws(MQTTProtocolError) {
        switch type {
        case 3:
            let qos = (flags >> 1) & 0x03
            guard qos != 3 else { throw .invalidFixedHeaderFlags(type: type, flags: flags) }
            if qos == 0, flags & 0x08 != 0 { throw .invalidFixedHeaderFlags(type: type, flags: flags) }
        case 8, 10:
            guard flags == 0x02 else { throw .invalidFixedHeaderFlags(type: type, flags: flags) }
        case 1, 2, 4, 9, 11, 12, 13, 14:
            guard flags == 0 else { throw .invalidFixedHeaderFlags(type: type, flags: flags) }
        default:
            throw .unsupportedPacketType(type)
        }
    }

    private static func decodeBody(type: UInt8, flags: UInt8, body: inout ByteBuffer) throws(MQTTProtocolError) -> MQTTPacket {
        let packet: MQTTPacket
        switch type {
        case 1: packet = .connect(try decodeConnect(&body))
        case 2:
            let ackFlags = try body.mqttByte()
            guard ackFlags & 0xFE == 0 else { throw .malformedPacket("CONNACK reserved flags set") }
            let code = try body.mqttByte()
            guard let returnCode = MQTTConnectReturnCode(rawValue: code) else {
                throw .malformedPacket("CONNACK return code \(code)")
            }
            packet = .connack(MQTTConnAck(sessionPresent: ackFlags & 1 == 1, returnCode: returnCode))
        case 3: packet = .publish(try decodePublish(flags: flags, &body))
        case 4: packet = .puback(packetId: try body.mqttPacketId())
        case 8: packet = .subscribe(try decodeSubscribe(&body))
        case 9:
            let packetId = try body.mqttPacketId()
            var codes: [MQTTSubAck.ReturnCode] = []
            while let byte = body.readInteger(as: UInt8.self) {
                switch byte {
                case 0x80: codes.append(.failure)
                case 0...2: codes.append(.granted(MQTTQoS(rawValue: byte) ?? .atMostOnce))
                default: throw .malformedPacket("SUBACK return code \(byte)")
                }
            }
            guard !codes.isEmpty else { throw .malformedPacket("SUBACK without return codes") }
            packet = .suback(MQTTSubAck(packetId: packetId, returnCodes: codes))
        case 10:
            let packetId = try body.mqttPacketId()
            var filters: [String] = []
            while body.readableBytes > 0 {
                let filter = try body.mqttString()
                try MQTTTopic.validateFilter(filter)
                filters.append(filter)
            }
            guard !filters.isEmpty else { throw .malformedPacket("UNSUBSCRIBE without topic filters") }
            packet = .unsubscribe(MQTTUnsubscribe(packetId: packetId, topicFilters: filters))
        case 11: packet = .unsuback(packetId: try body.mqttPacketId())
        case 12: packet = .pingreq
        case 13: packet = .pingresp
        case 14: packet = .disconnect
        default: throw .unsupportedPacketType(type)
        }
        guard body.readableBytes == 0 else {
            throw .malformedPacket("\(packet.name) has \(body.readableBytes) unexpected trailing bytes")
        }
        return packet
    }

    private static func decodeConnect(_ body: inout ByteBuffer) throws(MQTTProtocolError) -> MQTTConnect {
        let name = try body.mqttString()
        let level = try body.mqttByte()
        guard name == "MQTT", level == 4 else { throw .unacceptableProtocol(name: name, level: level) }
        let flags = try body.mqttByte()
        guard flags & 0x01 == 0 else { throw .malformedPacket("CONNECT reserved flag set") }
        let hasWill = flags & 0x04 != 0
        let willQoSBits = (flags >> 3) & 0x03
        let willRetain = flags & 0x20 != 0
        let hasPassword = flags & 0x40 != 0
        let hasUsername = flags & 0x80 != 0
        if !hasWill, willQoSBits != 0 || willRetain {
            throw .malformedPacket("CONNECT will QoS/retain set without a will")
        }
        guard let willQoS = MQTTQoS(rawValue: willQoSBits) else { throw .malformedPacket("CONNECT will QoS 3") }
        guard hasUsername || !hasPassword else { throw .malformedPacket("CONNECT password without user name") }
        let keepAlive = try body.mqttUInt16()
        let clientId = try body.mqttString()
        var will: MQTTWill?
        if hasWill {
            let topic = try body.mqttString()
            try MQTTTopic.validateName(topic)
            let payload = try body.mqttBinary()
            will = MQTTWill(topic: topic, payload: payload, qos: willQoS, retain: willRetain)
        }
        let username = hasUsername ? try body.mqttString() : nil
        let password = hasPassword ? try body.mqttBinary() : nil
        return MQTTConnect(
            clientId: clientId,
            keepAliveSeconds: keepAlive,
            cleanSession: flags & 0x02 != 0,
            username: username,
            password: password,
            will: will
        )
    }

    private static func decodePublish(flags: UInt8, _ body: inout ByteBuffer) throws(MQTTProtocolError) -> MQTTPublish {
        guard let qos = MQTTQoS(rawValue: (flags >> 1) & 0x03) else { throw .invalidFixedHeaderFlags(type: 3, flags: flags) }
        let topic = try body.mqttString()
        try MQTTTopic.validateName(topic)
        let packetId = qos == .atMostOnce ? nil : try body.mqttPacketId()
        let payload = body.readSlice(length: body.readableBytes) ?? ByteBuffer()
        return MQTTPublish(
            topic: topic,
            payload: payload,
            qos: qos,
            retain: flags & 0x01 != 0,
            duplicate: flags & 0x08 != 0,
            packetId: packetId
        )
    }

    private static func decodeSubscribe(_ body: inout ByteBuffer) throws(MQTTProtocolError) -> MQTTSubscribe {
        let packetId = try body.mqttPacketId()
        var filters: [MQTTSubscribe.Filter] = []
        while body.readableBytes > 0 {
            let filter = try body.mqttString()
            try MQTTTopic.validateFilter(filter)
            let options = try body.mqttByte()
            guard options & 0xFC == 0, let qos = MQTTQoS(rawValue: options) else {
                throw .malformedPacket("SUBSCRIBE requested QoS byte 0x\(String(options, radix: 16))")
            }
            filters.append(.init(filter, qos: qos))
        }
        guard !filters.isEmpty else { throw .malformedPacket("SUBSCRIBE without topic filters") }
        return MQTTSubscribe(packetId: packetId, filters: filters)
    }
}

extension ByteBuffer {
    mutating func mqttByte() throws(MQTTProtocolError) -> UInt8 {
        guard let byte = readInteger(as: UInt8.self) else { throw .malformedPacket("packet ends early") }
        return byte
    }

    mutating func mqttUInt16() throws(MQTTProtocolError) -> UInt16 {
        guard let value = readInteger(as: UInt16.self) else { throw .malformedPacket("packet ends early") }
        return value
    }

    mutating func mqttPacketId() throws(MQTTProtocolError) -> UInt16 {
        let id = try mqttUInt16()
        guard id != 0 else { throw .malformedPacket("packet identifier 0") }
        return id
    }

    mutating func mqttBinary() throws(MQTTProtocolError) -> [UInt8] {
        let length = Int(try mqttUInt16())
        guard let bytes = readBytes(length: length) else { throw .malformedPacket("field runs past the packet end") }
        return bytes
    }

    mutating func mqttString() throws(MQTTProtocolError) -> String {
        let length = Int(try mqttUInt16())
        guard let slice = readSlice(length: length) else { throw .malformedPacket("string runs past the packet end") }
        let string: String? = slice.withUnsafeReadableBytes { raw in
            guard !raw.contains(0) else { return nil }
            return String(validating: raw, as: UTF8.self)
        }
        guard let string else { throw .invalidUTF8 }
        return string
    }
}
