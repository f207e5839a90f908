public import NIOCore

/// A PUBLISH packet: an application message on a topic.
public struct MQTTPublish: Sendable, Equatable {
    public var topic: String
    public var payload: ByteBuffer
    public var qos: MQTTQoS
    public var retain: Bool
    /// Set on a re-delivery of a QoS 1 message.
    public var duplicate: Bool
    /// Present (non-zero) exactly when `qos` is above 0.
    public var packetId: UInt16?

    public init(
        topic: String,
        payload: ByteBuffer,
        qos: MQTTQoS = .atMostOnce,
        retain: Bool = false,
        duplicate: Bool = false,
        packetId: UInt16? = nil
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.duplicate = duplicate
        self.packetId = packetId
    }
}
