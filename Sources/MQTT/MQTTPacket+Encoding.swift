public import NIOCore

extension MQTTPacket {
    /// Appends the wire form of this packet to `buffer`.
    ///
    /// Throws when a field cannot be represented (a string over 65,535 bytes, a packet over the
    /// MQTT maximum) instead of writing a packet the peer would reject.
    public func encode(into buffer: inout ByteBuffer) throws(MQTTProtocolError) {
        var body = ByteBuffer()
        var flags: UInt8 = 0
        switch self {
        case .connect(let connect):
            try body.writeMQTTString("MQTT")
            body.writeInteger(UInt8(4))
            var connectFlags: UInt8 = 0
            if connect.cleanSession { connectFlags |= 0x02 }
            if let will = connect.will {
                connectFlags |= 0x04 | (will.qos.rawValue << 3)
                if will.retain { connectFlags |= 0x20 }
            }
            if connect.password != nil { connectFlags |= 0x40 }
            if connect.username != nil || connect.password != nil { connectFlags |= 0x80 }
            body.writeInteger(connectFlags)
            body.writeInteger(connect.keepAliveSeconds)
            try body.writeMQTTString(connect.clientId)
            if let will = connect.will {
                try body.writeMQTTString(will.topic)
                try body.writeMQTTBinary(will.payload)
            }
            if connect.username != nil || connect.password != nil {
                try body.writeMQTTString(connect.username ?? "")
            }
            if let password = connect.password { try body.writeMQTTBinary(password) }
        case .connack(let ack):
            body.writeInteger(UInt8(ack.sessionPresent ? 1 : 0))
            body.writeInteger(ack.returnCode.rawValue)
        case .publish(let publish):
            flags = publish.qos.rawValue << 1
            if publish.retain { flags |= 0x01 }
            if publish.duplicate, publish.qos != .atMostOnce { flags |= 0x08 }
            try body.writeMQTTString(publish.topic)
            if publish.qos != .atMostOnce {
                guard let packetId = publish.packetId, packetId != 0 else {
                    throw .malformedPacket("PUBLISH with QoS \(publish.qos.rawValue) needs a packet identifier")
                }
                body.writeInteger(packetId)
            }
            var payload = publish.payload
            body.writeBuffer(&payload)
        case .puback(let packetId), .unsuback(let packetId):
            body.writeInteger(packetId)
        case .subscribe(let subscribe):
            flags = 0x02
            body.writeInteger(subscribe.packetId)
            for filter in subscribe.filters {
                try body.writeMQTTString(filter.topicFilter)
                body.writeInteger(filter.qos.rawValue)
            }
        case .suback(let ack):
            body.writeInteger(ack.packetId)
            for code in ack.returnCodes { body.writeInteger(code.byte) }
        case .unsubscribe(let unsubscribe):
            flags = 0x02
            body.writeInteger(unsubscribe.packetId)
            for filter in unsubscribe.topicFilters { try body.writeMQTTString(filter) }
        case .pingreq, .pingresp, .disconnect:
            break
        }
        let length = body.readableBytes
        guard length <= Self.maximumRemainingLength else {
            throw .packetTooLarge(size: length, limit: Self.maximumRemainingLength)
        }
        buffer.writeInteger((typeCode << 4) | flags)
        var remaining = length
        repeat {
            var byte = UInt8(remaining % 128)
            remaining /= 128
            if remaining > 0 { byte |= 0x80 }
            buffer.writeInteger(byte)
        } while remaining > 0
        buffer.writeBuffer(&body)
    }
}

extension ByteBuffer {
    mutating func writeMQTTString(_ string: String) throws(MQTTProtocolError) {
        let count = string.utf8.count
        guard count <= Int(UInt16.max) else { throw .fieldTooLong(count) }
        writeInteger(UInt16(count))
        writeString(string)
    }

    mutating func writeMQTTBinary(_ bytes: [UInt8]) throws(MQTTProtocolError) {
        guard bytes.count <= Int(UInt16.max) else { throw .fieldTooLong(bytes.count) }
        writeInteger(UInt16(bytes.count))
        writeBytes(bytes)
    }
}
