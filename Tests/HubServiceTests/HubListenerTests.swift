import Foundation
import HubService
import ListenerSafety
import TestSupport
import Testing

/// The REST listener bounds slow clients, and insecure listeners stay on loopback unless allowed.
@Suite struct HubListenerTests {
    @Test("REST: many half-open connections, more than the bound: each gets 408 and a normal request still succeeds")
    func halfOpenConnections() async throws {
        try await withHub({
            $0.restTLS = false
            $0.restListenerLimits = ListenerLimits(headerTimeout: .seconds(1), bodyTimeout: .seconds(1), idleTimeout: .seconds(1), maximumConnections: 16)
        }) { hub in
            let attackers = try await RawHTTP.halfOpen(port: hub.restPort, count: 64)
            defer { for connection in attackers { connection.close() } }
            let token = try hub.serviceToken()
            let answer = try await RawHTTP.exchange(
                port: hub.restPort,
                "GET /devices?api-version=2021-04-12 HTTP/1.1\r\nHost: localhost\r\nAuthorization: \(token)\r\nConnection: close\r\n\r\n"
            )
            #expect(answer.status == 200)
            let timedOut = await attackers[0].readUntilClosed(within: .seconds(120))
            #expect(timedOut?.status == 408)
        }
    }

    @Test("plain MQTT or plain-HTTP REST on a non-loopback address is refused unless explicitly allowed; TLS-only is fine")
    func insecureRemoteRefused() async throws {
        var plain = HubConfiguration.ephemeral()
        plain.bindHost = "0.0.0.0"
        do {
            try await HubServer.withRunning(plain) { _ in _ = Issue.record("plain MQTT on 0.0.0.0 must be refused") }
        } catch let error as HubStartError {
            #expect(error.message.contains("plain (unencrypted) MQTT"))
            #expect(error.message.contains("--allow-insecure-remote"))
        }
        var plainREST = HubConfiguration.ephemeral()
        plainREST.bindHost = "0.0.0.0"
        plainREST.mqttPlainPort = nil
        plainREST.restTLS = false
        await #expect(throws: HubStartError.self) { try await HubServer.withRunning(plainREST) { _ in } }

        var tlsOnly = HubConfiguration.ephemeral()
        tlsOnly.bindHost = "0.0.0.0"
        tlsOnly.mqttPlainPort = nil
        try await HubServer.withRunning(tlsOnly) { served in #expect(served.mqttTLSPort != nil) }

        plain.allowInsecureRemote = true
        try await HubServer.withRunning(plain) { allowed in #expect(allowed.mqttPlainPort != nil) }
    }
}
