import Foundation
@testable import IoTHub
import MQTT
import Testing

/// The client session's rules, without sockets: the state machine decides, these tests check the decisions.
@Suite struct HubSessionStateMachineTests {
    typealias Machine = HubSession.StateMachine

    /// A machine with connection `generation` accepted.
    static func connected(filters: [String] = []) -> (Machine, Int) {
        var machine = Machine()
        for filter in filters { _ = machine.addFilter(filter) }
        let generation = machine.connectStarted()
        _ = machine.connackReceived(MQTTConnAck(returnCode: .accepted), generation: generation)
        return (machine, generation)
    }

    @Test func connackAcceptedConnectsAndAsksToResubscribe() {
        var machine = Machine()
        let result1 = machine.addFilter("$iothub/methods/POST/#")
        #expect(result1)
        let again = machine.addFilter("$iothub/methods/POST/#")
        #expect(!again)
        let generation = machine.connectStarted()
        #expect(machine.connection == .connecting(generation: generation))
        #expect(!machine.isConnected)
        let result2 = machine.connackReceived(MQTTConnAck(returnCode: .accepted), generation: generation)
        #expect(result2
            == .connected(resubscribe: ["$iothub/methods/POST/#"]))
        #expect(machine.isConnected)
        // A second CONNACK, or one for an old connection, changes nothing.
        let result3 = machine.connackReceived(MQTTConnAck(returnCode: .accepted), generation: generation)
        #expect(result3 == .ignore)
        let result4 = machine.connackReceived(MQTTConnAck(returnCode: .accepted), generation: generation - 1)
        #expect(result4 == .ignore)
    }

    @Test func connackRefusedReportsTheCode() {
        var machine = Machine()
        let generation = machine.connectStarted()
        let refused = MQTTConnAck(returnCode: .notAuthorized)
        let result5 = machine.connackReceived(refused, generation: generation)
        #expect(result5
            == .refused(code: refused.returnCode.rawValue, reason: refused.returnCode.description))
        #expect(!machine.isConnected)
        let result6 = machine.connectionLost(generation: generation)
        #expect(result6 == Machine.Waiters())
    }

    /// The hub closes right after a refusing CONNACK; the session may handle the close before it
    /// reads the CONNACK it was handed, and must still report the refusal (seen under load).
    @Test func connackRefusedAfterTheCloseStillReportsTheCode() {
        var machine = Machine()
        let generation = machine.connectStarted()
        _ = machine.connectionLost(generation: generation)
        let refused = MQTTConnAck(returnCode: .badUsernameOrPassword)
        #expect(machine.connackReceived(refused, generation: generation)
            == .refused(code: refused.returnCode.rawValue, reason: refused.returnCode.description))
        // An accepting CONNACK of a connection already gone is no connection.
        let next = machine.connectStarted()
        _ = machine.connectionLost(generation: next)
        #expect(machine.connackReceived(MQTTConnAck(returnCode: .accepted), generation: next) == .ignore)
        #expect(!machine.isConnected)
    }

    @Test func publishIsMatchedToItsPuback() {
        var (machine, _) = Self.connected()
        let first = machine.packetIdForPublish()
        let second = machine.packetIdForPublish()
        #expect(first != second)
        #expect(machine.pendingAcknowledgements == [first, second])
        let result7 = machine.acknowledgementReceived(second)
        #expect(result7)
        let repeated = machine.acknowledgementReceived(second)
        #expect(!repeated, "a repeated PUBACK has no waiter")
        let unasked = machine.acknowledgementReceived(999)
        #expect(!unasked, "a PUBACK nobody asked for has no waiter")
        #expect(machine.pendingAcknowledgements == [first])
        machine.acknowledgementAbandoned(first)
        #expect(machine.pendingAcknowledgements.isEmpty)
    }

    @Test func connectionLostFailsEveryWaiterOnce() {
        var (machine, generation) = Self.connected()
        let ids = [machine.packetIdForPublish(), machine.packetIdForPublish()]
        machine.twinRequestStarted("r1")
        let result8 = machine.twinWaitStarted("r1")
        #expect(result8 == nil)
        machine.twinRequestStarted("r2") // published, PUBACK not yet in: no twin waiter yet
        let waiters = machine.connectionLost(generation: generation)
        #expect(waiters == Machine.Waiters(acknowledgements: ids.sorted(), twinRequests: ["r1"]))
        #expect(!machine.isConnected)
        #expect(machine.pendingAcknowledgements.isEmpty)
        let result9 = machine.connectionLost(generation: generation)
        #expect(result9 == Machine.Waiters(), "nothing is failed twice")
    }

    @Test func aStaleConnectionsEndTouchesNothing() {
        var (machine, old) = Self.connected()
        _ = machine.connectionLost(generation: old)
        let current = machine.connectStarted()
        _ = machine.connackReceived(MQTTConnAck(returnCode: .accepted), generation: current)
        let id = machine.packetIdForPublish()
        let result10 = machine.connectionLost(generation: old)
        #expect(result10 == nil)
        #expect(machine.isConnected)
        #expect(machine.pendingAcknowledgements == [id])
    }

    @Test func duplicateResendKeepsItsIdWhenFree() {
        var (machine, generation) = Self.connected()
        let id = machine.packetIdForPublish()
        _ = machine.connectionLost(generation: generation)
        let next = machine.connectStarted()
        _ = machine.connackReceived(MQTTConnAck(returnCode: .accepted), generation: next)
        let result11 = machine.packetIdForResend(previous: id)
        #expect(result11 == id)
        #expect(machine.pendingAcknowledgements == [id])
    }

    @Test func duplicateResendTakesAFreshIdWhenItsOwnIsTaken() {
        var machine = Machine()
        let id = machine.packetIdForPublish()
        machine.acknowledgementAbandoned(id)
        // Wrap around so that another publish holds `id` again.
        for _ in 1..<Int(UInt16.max) { machine.acknowledgementAbandoned(machine.packetIdForPublish()) }
        let result12 = machine.packetIdForPublish()
        #expect(result12 == id)
        let resent = machine.packetIdForResend(previous: id)
        #expect(resent != id)
        #expect(machine.pendingAcknowledgements == [id, resent])
    }

    @Test func packetIdsWrapAroundSkippingZeroAndIdsInUse() {
        var machine = Machine()
        let one = machine.packetIdForPublish()
        let two = machine.packetIdForPublish()
        #expect([one, two] == [1, 2])
        for _ in 3...Int(UInt16.max) { machine.acknowledgementAbandoned(machine.packetIdForPublish()) }
        // 1 and 2 still wait: after 65535 the next free id is 3, never 0.
        let result13 = machine.packetIdForPublish()
        #expect(result13 == 3)
        #expect(machine.pendingAcknowledgements == [1, 2, 3])
    }

    @Test func twinResponseBeforeWaitingIsKept() {
        var (machine, _) = Self.connected()
        machine.twinRequestStarted("rid")
        let result14 = machine.twinResponseArrived("rid", (200, 7, Data("{}".utf8)))
        #expect(result14 == .stored)
        let early = machine.twinWaitStarted("rid")
        #expect(early?.status == 200)
        #expect(early?.version == 7)
        machine.twinRequestFinished("rid")
        let result15 = machine.twinResponseArrived("rid", (200, 8, Data()))
        #expect(result15 == .ignored)
    }

    @Test func twinResponseAfterWaitingIsDelivered() {
        var (machine, _) = Self.connected()
        machine.twinRequestStarted("rid")
        let result16 = machine.twinWaitStarted("rid")
        #expect(result16 == nil)
        let result17 = machine.twinResponseArrived("rid", (204, 3, Data()))
        #expect(result17 == .deliver)
        let result18 = machine.twinResponseArrived("rid", (204, 3, Data()))
        #expect(result18 == .stored, "a repeat is kept for nobody, then forgotten")
        machine.twinRequestFinished("rid")
        let result19 = machine.twinResponseArrived("other", (200, nil, Data()))
        #expect(result19 == .ignored)
    }

    @Test func keepAliveWithoutPingResponseAsksToReconnect() {
        var (machine, generation) = Self.connected()
        let result20 = machine.pingTimerFired(generation: generation)
        #expect(result20 == .sendPingRequest)
        machine.pingResponseReceived()
        let result21 = machine.pingTimerFired(generation: generation)
        #expect(result21 == .sendPingRequest)
        #expect(machine.awaitingPingResponse)
        let result22 = machine.pingTimerFired(generation: generation)
        #expect(result22 == .reconnect)
        let result23 = machine.pingTimerFired(generation: generation + 1)
        #expect(result23 == .none, "a stale timer does nothing")
        _ = machine.connectionLost(generation: generation)
        let result24 = machine.pingTimerFired(generation: generation)
        #expect(result24 == .none)
    }

    @Test func subackRefusingAFilterNamesIt() {
        let filters = ["a/#", "b/#", "c/#"]
        #expect(Machine.refusedFilter(filters, by: MQTTSubAck(packetId: 1, returnCodes: [.granted(.atLeastOnce), .failure, .failure])) == "b/#")
        #expect(Machine.refusedFilter(filters, by: MQTTSubAck(packetId: 1, returnCodes: [.granted(.atLeastOnce), .granted(.atMostOnce), .granted(.atLeastOnce)])) == nil)
    }
}
