import MQTT

extension HubSession {
    /// What one MQTT client session knows, without I/O: the connection's generation and state,
    /// packet-id allocation and the acknowledgements outstanding, twin requests and their early
    /// answers, the subscribed filters, the desired version and whether a PINGRESP is owed.
    ///
    /// The actor keeps the continuations and does the I/O; every decision (which id a publish gets,
    /// which waiters a lost connection fails, whether a silent keep-alive means reconnect) is made
    /// here so it is tested without sockets (the house example is `RequestBook`).
    struct StateMachine: Sendable {
        /// Where the current connection is in its life.
        enum Connection: Sendable, Equatable {
            /// No connection: before the first, or after one ended.
            case idle
            /// CONNECT sent on connection `generation`; waiting for CONNACK.
            case connecting(generation: Int)
            /// CONNACK accepted on connection `generation`.
            case connected(generation: Int)
        }

        /// What to do with a CONNACK.
        enum ConnAckAction: Sendable, Equatable {
            /// The session is up: subscribe these filters again (none on a first connection).
            case connected(resubscribe: [String])
            /// The hub refused the credentials or the client id: close and report this.
            case refused(code: UInt8, reason: String)
            /// A CONNACK for a connection that is no longer current, or a second one: ignore it.
            case ignore
        }

        /// What the keep-alive timer's tick asks for.
        enum PingAction: Sendable, Equatable {
            case sendPingRequest
            /// The previous PINGREQ went unanswered for a whole interval: drop the connection so the
            /// supervisor reconnects.
            case reconnect
            /// Not connected (or a stale generation's timer): nothing to do.
            case none
        }

        /// The waiters a lost connection fails.
        struct Waiters: Sendable, Equatable {
            var acknowledgements: [UInt16] = []
            var twinRequests: [String] = []
        }

        /// What became of a twin response.
        enum TwinArrival: Sendable, Equatable {
            /// A request waits for it: resume its waiter.
            case deliver
            /// Its request has not started waiting yet (the answer beat the PUBACK): kept for it.
            case stored
            /// No request of this session expects it.
            case ignored
        }

        private(set) var connection: Connection = .idle
        private(set) var generation = 0
        private var lastPacketId: UInt16 = 0
        /// Packet ids whose PUBACK/SUBACK/UNSUBACK someone waits for; never handed out twice.
        private(set) var pendingAcknowledgements: Set<UInt16> = []
        private var expectedTwinRequests: Set<String> = []
        private var waitingTwinRequests: Set<String> = []
        private var earlyTwinResults: [String: TwinResponse] = [:]
        /// Topic filters this session wants; sent again on every new connection.
        private(set) var filters: [String] = []
        /// The desired-properties version last seen (twin GET or patch).
        var desiredVersion: Int?
        private(set) var awaitingPingResponse = false

        var isConnected: Bool {
            if case .connected = connection { return true }
            return false
        }

        // MARK: Connection

        /// A new connection is dialled and its CONNECT sent; returns its generation.
        mutating func connectStarted() -> Int {
            generation += 1
            connection = .connecting(generation: generation)
            awaitingPingResponse = false
            return generation
        }

        /// The CONNACK of connection `generation`. A refusal stands even when the connection's
        /// end was handled first: the hub closes right after refusing, and the refusal, not the
        /// close, is what the caller must be told.
        mutating func connackReceived(_ ack: MQTTConnAck, generation: Int) -> ConnAckAction {
            guard generation == self.generation else { return .ignore }
            guard ack.returnCode == .accepted else {
                connection = .idle
                return .refused(code: ack.returnCode.rawValue, reason: ack.returnCode.description)
            }
            guard connection == .connecting(generation: generation) else { return .ignore }
            connection = .connected(generation: generation)
            awaitingPingResponse = false
            return .connected(resubscribe: filters)
        }

        /// Connection `generation` ended (closed, failed, or dropped by keep-alive): every
        /// acknowledgement and twin waiter fails; `nil` when that connection is no longer current
        /// (a newer one replaced it: nothing of the current session may be touched).
        mutating func connectionLost(generation: Int) -> Waiters? {
            guard generation == self.generation else { return nil }
            connection = .idle
            awaitingPingResponse = false
            let waiters = Waiters(
                acknowledgements: pendingAcknowledgements.sorted(),
                twinRequests: waitingTwinRequests.sorted()
            )
            pendingAcknowledgements.removeAll()
            waitingTwinRequests.removeAll()
            return waiters
        }

        // MARK: Keep-alive

        mutating func pingTimerFired(generation: Int) -> PingAction {
            guard connection == .connected(generation: generation) else { return .none }
            if awaitingPingResponse { return .reconnect }
            awaitingPingResponse = true
            return .sendPingRequest
        }

        mutating func pingResponseReceived() {
            awaitingPingResponse = false
        }

        // MARK: Packet ids

        /// A fresh packet id (1…65535, wrapping), skipping ids still waiting for an acknowledgement.
        /// The id counts as pending until ``acknowledgementReceived(_:)`` or ``acknowledgementAbandoned(_:)``.
        mutating func packetIdForPublish() -> UInt16 {
            // 65535 ids and at most a few hundred in flight: the loop ends quickly. If every id
            // were pending the caller is leaking waiters; reuse rather than spin forever.
            for _ in 0..<Int(UInt16.max) {
                lastPacketId = lastPacketId == UInt16.max ? 1 : lastPacketId + 1
                if !pendingAcknowledgements.contains(lastPacketId) { break }
            }
            pendingAcknowledgements.insert(lastPacketId)
            return lastPacketId
        }

        /// The id for re-sending (DUP) a publish after its connection dropped: the same id when it
        /// is still free, else a fresh one.
        mutating func packetIdForResend(previous: UInt16) -> UInt16 {
            guard pendingAcknowledgements.contains(previous) else {
                pendingAcknowledgements.insert(previous)
                return previous
            }
            return packetIdForPublish()
        }

        /// An acknowledgement arrived: whether someone waits for it.
        mutating func acknowledgementReceived(_ packetId: UInt16) -> Bool {
            pendingAcknowledgements.remove(packetId) != nil
        }

        /// The waiter for `packetId` gave up (timed out); the id is free again.
        mutating func acknowledgementAbandoned(_ packetId: UInt16) {
            pendingAcknowledgements.remove(packetId)
        }

        // MARK: Twin requests

        /// A twin request with `$rid=requestId` is about to be published.
        mutating func twinRequestStarted(_ requestId: String) {
            expectedTwinRequests.insert(requestId)
        }

        /// The request's PUBACK came: its early answer if one arrived meanwhile, else `nil` and the
        /// request now waits (a lost connection fails it).
        mutating func twinWaitStarted(_ requestId: String) -> TwinResponse? {
            if let early = earlyTwinResults.removeValue(forKey: requestId) { return early }
            waitingTwinRequests.insert(requestId)
            return nil
        }

        mutating func twinResponseArrived(_ requestId: String, _ response: TwinResponse) -> TwinArrival {
            if waitingTwinRequests.remove(requestId) != nil { return .deliver }
            guard expectedTwinRequests.contains(requestId) else { return .ignored }
            earlyTwinResults[requestId] = response
            return .stored
        }

        /// The request ended (answered, failed or timed out): forget it.
        mutating func twinRequestFinished(_ requestId: String) {
            expectedTwinRequests.remove(requestId)
            waitingTwinRequests.remove(requestId)
            earlyTwinResults[requestId] = nil
        }

        // MARK: Subscriptions

        /// Remembers `filter` for every future connection; whether it was new.
        mutating func addFilter(_ filter: String) -> Bool {
            guard !filters.contains(filter) else { return false }
            filters.append(filter)
            return true
        }

        /// The first of `filters` the SUBACK refused, if any.
        static func refusedFilter(_ filters: [String], by ack: MQTTSubAck) -> String? {
            zip(filters, ack.returnCodes).first { $0.1 == .failure }?.0
        }
    }
}
