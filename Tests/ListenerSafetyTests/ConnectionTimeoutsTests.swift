import ListenerSafety
import Testing

@Suite("Connection timeouts, as a value")
struct ConnectionTimeoutsTests {
    let limits = ListenerLimits(headerTimeout: .seconds(1), bodyTimeout: .seconds(2), idleTimeout: .seconds(3), maximumConnections: 10)

    @Test("no head yet: header timeout, then 408")
    func headerTimeout() {
        var state = ConnectionTimeouts(limits: limits)
        #expect(state.connected() == .arm(.seconds(1)))
        #expect(state.expired() == .requestTimeout)
    }

    @Test("a stalled body: body timeout re-armed by each part, then 408; after the answer started, just close")
    func bodyTimeout() {
        var state = ConnectionTimeouts(limits: limits)
        _ = state.connected()
        #expect(state.headReceived() == .arm(.seconds(2)))
        #expect(state.bodyReceived() == .arm(.seconds(2)))
        #expect(state.expired() == .requestTimeout)
        #expect(state.answerStarted() == .keep)
        #expect(state.expired() == .close)
    }

    @Test("the application at work has no limit; after the answer the connection may idle, then is closed quietly")
    func idleAfterAnswer() {
        var state = ConnectionTimeouts(limits: limits)
        _ = state.connected()
        _ = state.headReceived()
        #expect(state.endReceived() == .cancel)
        #expect(state.expired() == .ignore)
        _ = state.answerStarted()
        #expect(state.answerEnded() == .arm(.seconds(3)))
        #expect(state.expired() == .close)
    }

    @Test("pipelined requests: no idle timer until every answer has ended")
    func pipelined() {
        var state = ConnectionTimeouts(limits: limits)
        _ = state.connected()
        _ = state.headReceived()
        _ = state.endReceived()
        _ = state.headReceived()
        _ = state.endReceived()
        #expect(state.answerEnded() == .keep)
        #expect(state.expired() == .ignore)
        #expect(state.answerEnded() == .arm(.seconds(3)))
    }

    @Test("an early answer while the body is still coming keeps the body timeout")
    func earlyAnswer() {
        var state = ConnectionTimeouts(limits: limits)
        _ = state.connected()
        _ = state.headReceived()
        _ = state.answerStarted()
        #expect(state.answerEnded() == .arm(.seconds(2)))
        #expect(state.expired() == .close)
    }

    @Test("limits are clamped to something that can work")
    func clamped() {
        let silly = ListenerLimits(headerTimeout: .zero, bodyTimeout: .seconds(-5), idleTimeout: .zero, maximumConnections: -1)
        #expect(silly.headerTimeout == .milliseconds(1))
        #expect(silly.bodyTimeout == .milliseconds(1))
        #expect(silly.maximumConnections == 1)
    }

    @Test("loopback addresses are served freely; the wildcard and anything else need consent",
          arguments: [("127.0.0.1", true), ("127.1.2.3", true), ("localhost", true), ("::1", true), ("[::1]", true),
                      ("0.0.0.0", false), ("::", false), ("192.168.1.10", false), ("10.0.0.1", false), ("example.lan", false), ("127.0.0.256", false)])
    func loopback(host: String, loopback: Bool) {
        #expect(BindPolicy.isLoopback(host) == loopback)
        #expect((BindPolicy.refusal(host: host, exposing: "x", allowed: false) == nil) == loopback)
        #expect(BindPolicy.refusal(host: host, exposing: "x", allowed: true) == nil)
    }
}
