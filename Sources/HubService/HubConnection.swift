import MQTT
import NIOCore

/// One live, authenticated MQTT connection.
final class HubConnection: Sendable {
    let identity: HubIdentity
    let channel: any Channel
    let tokenExpiry: Double

    init(identity: HubIdentity, channel: any Channel, tokenExpiry: Double) {
        self.identity = identity
        self.channel = channel
        self.tokenExpiry = tokenExpiry
    }

    var clientId: String { identity.clientId }

    /// Writes a packet from any thread (NIO queues it on the channel's event loop, in call order).
    func send(_ packet: MQTTPacket) {
        channel.writeAndFlush(packet, promise: nil)
    }

    func close() {
        channel.close(promise: nil)
    }
}
