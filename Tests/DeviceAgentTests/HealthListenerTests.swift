import Foundation
import Testing
import TestSupport

@testable import DeviceAgent

/// The agent's health and metrics endpoint under slow clients: it keeps its connection bound (64)
/// and header timeout, so probes and scrapes still get through.
@Suite(.serialized) struct HealthListenerTests {
    @Test("more half-open connections than the health endpoint's bound: each gets 408 and /healthz still answers")
    func halfOpenConnections() async throws {
        try await FlowHarness.with { flow in try await probe(flow) }
    }

    private func probe(_ flow: FlowHarness) async throws {
        try flow.startAgent(flow.agentConfiguration(camera: try flow.camera(["coffee.jpg"])))
        let port = await eventuallyValue(timeout: .seconds(30)) { flow.agent?.healthPort }
        let healthPort = try #require(port, "the health endpoint did not start")
        let attackers = try await RawHTTP.halfOpen(port: healthPort, count: 100)
        defer { for connection in attackers { connection.close() } }
        let answer = try await RawHTTP.exchange(port: healthPort, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(answer.status == 200)
        let timedOut = await attackers[0].readUntilClosed(within: .seconds(120))
        #expect(timedOut?.status == 408)
    }
}
