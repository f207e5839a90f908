import Foundation
import HubService
import IoTHub
import MQTT
import TestSupport
import Testing

/// Numbers a client puts on the wire (token expiries, timeouts, limits) are bounded before any
/// arithmetic: extreme values get an answer, never a crash, and the hub keeps serving.
@Suite struct HubNumberTests {
    /// Values no SDK would send for a number field.
    static let extremes = [
        "-1", "0", "1.5", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "99999999999999999999999", "1e300", "-1e300", "NaN", "abc", "",
    ]

    private func request(_ hub: RunningHubServer, _ method: String, _ target: String, token: String, body: String = "") async throws -> Int {
        let head = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\nAuthorization: \(token)\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        return try await RawHTTP.exchange(port: hub.restPort, head + body).status
    }

    private func assertStillServing(_ hub: RunningHubServer) async throws {
        let connectionString = try await hub.addDevice("still-good")
        let client = DeviceClient(connectionString: connectionString, options: hub.clientOptions())
        try await client.connect()
        try await client.sendTelemetry(TelemetryMessage(body: Data("alive".utf8)))
        await client.close()
        #expect(try await hub.telemetry(deviceId: "still-good").last.map { String(decoding: $0.body, as: UTF8.self) } == "alive")
    }

    @Test("a device token expiring in the year 300 million is accepted and the hub keeps serving MQTT and REST")
    func hugeDeviceTokenExpiry() async throws {
        try await withHub { hub in
            let device = try await hub.addDevice("far-future")
            let client = try await RawMQTTClient.connect(port: try #require(hub.mqttPlainPort))
            // se = now + 10^16 s: a valid signature over an absurd expiry.
            #expect(try await client.handshake(device, lifetime: 1e16)?.returnCode == .accepted)
            try client.send(.pingreq)
            #expect(await client.nextPacket() == .pingresp)
            await client.close()
            try await assertStillServing(hub)
        }
    }

    @Test("REST: extreme values in every number field get 2xx or 4xx, never a crash")
    func restNumberFields() async throws {
        try await withHub({ $0.restTLS = false }) { hub in
            try await hub.addDevice("d1")
            let token = try hub.serviceToken()
            for value in Self.extremes {
                let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
                for target in [
                    "/devices?top=\(encoded)&api-version=2021-04-12",
                    "/edgefactor/telemetry?limit=\(encoded)",
                    "/edgefactor/telemetry?after=\(encoded)&limit=\(encoded)",
                ] {
                    let status = try await request(hub, "GET", target, token: token)
                    #expect((200..<500).contains(status), "GET \(target) answered \(status)")
                }
            }
            // The device is offline; a connect timeout > 0 would make the hub wait for it, so only
            // the response timeout takes every extreme, and the connect timeout takes those ≤ 0.
            let numbers = ["-1", "0", "1.5", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1e300", "-1e300", "1e400", "\"abc\"", "true", "null"]
            for number in numbers {
                for body in [
                    #"{"methodName":"m","responseTimeoutInSeconds":\#(number),"connectTimeoutInSeconds":0}"#,
                    number.hasPrefix("-") || ["0", "null", "\"abc\""].contains(number)
                        ? #"{"methodName":"m","responseTimeoutInSeconds":30,"connectTimeoutInSeconds":\#(number)}"# : nil,
                ].compactMap({ $0 }) {
                    let status = try await request(hub, "POST", "/twins/d1/methods?api-version=2021-04-12", token: token, body: body)
                    #expect((200..<500).contains(status), "POST methods \(body) answered \(status)")
                }
            }
            for expiry in [Int64(1e16), Int64.max] {
                let status = try await request(hub, "GET", "/devices?api-version=2021-04-12", token: try hub.serviceToken(expiry: expiry))
                #expect(status == 200, "a service token with se=\(expiry) answered \(status)")
            }
            try await assertStillServing(hub)
        }
    }
}
