import MQTT
import NIOCore
import Synchronization

/// One live, authenticated MQTT connection.
final class HubConnection: Sendable {
    let identity: HubIdentity
    let channel: any Channel
    let tokenExpiry: Double
    /// Packets sent from other threads, waiting for the event loop: a burst (the PUBACKs of one
    /// telemetry commit) then costs one hop to the loop and one flush, not one of each per packet.
    private let outbox = Mutex<[MQTTPacket]>([])

    init(identity: HubIdentity, channel: any Channel, tokenExpiry: Double) {
        self.identity = identity
        self.channel = channel
        self.tokenExpiry = tokenExpiry
    }

    var clientId: String { identity.clientId }

    /// Writes a packet from any thread, in call order.
    func send(_ packet: MQTTPacket) {
        let first = outbox.withLock { queue -> Bool in
            queue.append(packet)
            return queue.count == 1
        }
        guard first else { return }
        channel.eventLoop.execute { [self] in
            let packets = outbox.withLock { queue -> [MQTTPacket] in
                var taken: [MQTTPacket] = []
                swap(&taken, &queue)
                return taken
            }
            for packet in packets { channel.write(packet, promise: nil) }
            channel.flush()
        }
    }

    func close() {
        channel.close(promise: nil)
    }
}
