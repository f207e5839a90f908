import Foundation
@testable import FrontEnd
import HummingbirdTesting
import ListenerSafety
import Testing
import TestSupport

/// The sign-in site on a real socket: slow clients cannot hold it, and it will not serve
/// sign-ins over plain HTTP beyond loopback unless told to.
@Suite("Front-end listener limits")
struct FrontEndListenerTests {
    static let limits = ListenerLimits(headerTimeout: .seconds(1), bodyTimeout: .seconds(1), idleTimeout: .seconds(1), maximumConnections: 16)

    @Test("many half-open connections, more than the bound: each gets 408 and the sign-in page still loads")
    func halfOpenConnections() async throws {
        let harness = try await FrontEndHarness(device: SimulatedDevice()) { $0.listenerLimits = Self.limits }
        let app = try await harness.frontEnd.makeApplication()
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let attackers = try await RawHTTP.halfOpen(port: port, count: 64)
            defer { for connection in attackers { connection.close() } }
            let page = try await RawHTTP.exchange(port: port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            #expect(page.status == 200)
            #expect(page.text.contains("password"))
            let timedOut = await attackers[0].readUntilClosed(within: .seconds(120))
            #expect(timedOut?.status == 408)
        }
    }

    @Test("a sign-in form whose body stalls gets 408")
    func stalledBody() async throws {
        let harness = try await FrontEndHarness(device: SimulatedDevice()) { $0.listenerLimits = Self.limits }
        let app = try await harness.frontEnd.makeApplication()
        try await app.test(.live) { client in
            let connection = try await RawConnection.open(port: try #require(client.port))
            try await connection.send("POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=al")
            let answer = await connection.readUntilClosed(within: .seconds(120))
            #expect(answer?.status == 408)
        }
    }

    @Test("plain HTTP on a non-loopback address is refused unless behind TLS or explicitly allowed")
    func insecureRemoteRefused() async throws {
        let refused = try await FrontEndHarness(device: SimulatedDevice()) { $0.host = "0.0.0.0" }
        do {
            _ = try await refused.frontEnd.makeApplication()
            Issue.record("0.0.0.0 over plain HTTP must be refused")
        } catch let error as FrontEndError {
            #expect(error.description.contains("--allow-insecure-remote"))
            #expect(error.description.contains("--behind-tls"))
        }
        _ = try await FrontEndHarness(device: SimulatedDevice()) { $0.host = "0.0.0.0"; $0.behindTLS = true }.frontEnd.makeApplication()
        _ = try await FrontEndHarness(device: SimulatedDevice()) { $0.host = "0.0.0.0"; $0.allowInsecureRemote = true }.frontEnd.makeApplication()
    }
}
