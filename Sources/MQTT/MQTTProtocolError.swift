/// Why bytes on the wire are not a valid MQTT 3.1.1 packet. The connection that sent them
/// should be closed (a CONNECT with a bad protocol level first gets CONNACK 1).
public enum MQTTProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The packet announces more bytes than the configured maximum.
    case packetTooLarge(size: Int, limit: Int)
    /// The remaining-length field runs past four bytes.
    case malformedRemainingLength
    /// Packet types 0 and 15 are reserved; 5–7 belong to QoS 2, which is not supported.
    case unsupportedPacketType(UInt8)
    /// The low nibble of the first byte has a value the packet type forbids.
    case invalidFixedHeaderFlags(type: UInt8, flags: UInt8)
    /// The variable header or payload is shorter or longer than the packet says, or a field is malformed.
    case malformedPacket(String)
    /// A string is not well-formed UTF-8 or contains U+0000.
    case invalidUTF8
    /// CONNECT names a protocol other than `MQTT` level 4 (MQTT 3.1.1).
    case unacceptableProtocol(name: String, level: UInt8)
    /// A QoS 2 PUBLISH or subscription where only QoS 0 and 1 are accepted.
    case qos2NotSupported
    /// A topic name or filter breaks the MQTT topic rules.
    case invalidTopic(String)
    /// A field is too long to encode (strings and binary fields are limited to 65,535 bytes).
    case fieldTooLong(Int)

    public var description: String {
        switch self {
        case .packetTooLarge(let size, let limit):
            "MQTT packet of \(size) bytes exceeds the limit of \(limit) bytes; send smaller messages"
        case .malformedRemainingLength:
            "MQTT remaining length is longer than four bytes"
        case .unsupportedPacketType(let type):
            "MQTT packet type \(type) is reserved or needs QoS 2, which this peer does not support"
        case .invalidFixedHeaderFlags(let type, let flags):
            "MQTT packet type \(type) has invalid fixed-header flags 0x\(String(flags, radix: 16))"
        case .malformedPacket(let detail):
            "malformed MQTT packet: \(detail)"
        case .invalidUTF8:
            "MQTT string is not valid UTF-8 (or contains U+0000)"
        case .unacceptableProtocol(let name, let level):
            "unsupported protocol \(name) level \(level); use MQTT 3.1.1 (name MQTT, level 4)"
        case .qos2NotSupported:
            "QoS 2 is not supported; publish and subscribe with QoS 0 or 1"
        case .invalidTopic(let topic):
            "invalid MQTT topic \"\(topic.prefix(80))\""
        case .fieldTooLong(let length):
            "MQTT field of \(length) bytes is longer than 65,535 bytes"
        }
    }
}
