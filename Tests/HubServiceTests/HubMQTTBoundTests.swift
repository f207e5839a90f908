import Foundation
import HubService
import IoTHub
import Testing
import TestSupport

/// The MQTT listeners' connection bound.
@Suite struct HubMQTTBoundTests {
    @Test("MQTT: silent connections beyond the bound wait their turn; a device still connects once they time out")
    func silentConnectionsBeyondTheBound() async throws {
        try await withHub({ $0.maximumMQTTConnections = 4 }) { hub in
            let port = try #require(hub.mqttPlainPort)
            var silent: [RawConnection] = []
            for _ in 0..<12 { silent.append(try await RawConnection.open(port: port)) }
            defer { for connection in silent { connection.close() } }
            let device = try await hub.addDevice("patient")
            let client = DeviceClient(connectionString: device, options: hub.clientOptions(plainTCP: true))
            try await client.connect()
            try await client.sendTelemetry(TelemetryMessage(body: Data("through".utf8)))
            await client.close()
            #expect(try await hub.telemetry(deviceId: "patient").count == 1)
            #expect(await silent[0].readUntilClosed(within: .seconds(120)) != nil, "a connection without CONNECT is closed")
        }
    }
}
