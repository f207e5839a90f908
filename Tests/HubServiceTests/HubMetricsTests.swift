import Foundation
import HubService
import IoTHub
import MQTT
import Observability
import TestSupport
import Testing

@Suite("Hub metrics, readiness and access log")
struct HubMetricsTests {
    @Test("/metrics counts connections, CONNECTs by result, messages by kind, methods by result and REST requests")
    func countsTraffic() async throws {
        let log = CapturedLog()
        try await withHub({ $0.metricsEndpoint = OperatorEndpoint(port: 0); $0.accessLog = true; $0.logger = log.logger(label: "hub", level: .info) }) { hub in
            let port = try #require(hub.metricsPort, "the metrics endpoint did not start")
            let device = try await hub.addDevice("d1")
            let client = DeviceClient(connectionString: device, options: hub.clientOptions(plainTCP: true))
            await client.onMethod { request in MethodResponse(status: request.name == "fail" ? 500 : 200, payload: request.payload) }
            try await client.connect()
            for index in 0..<3 {
                try await client.sendTelemetry(TelemetryMessage(body: Data("#\(index)".utf8)))
            }
            let service = hub.serviceClient()
            for _ in 0..<2 { _ = try await service.invokeMethod(deviceId: "d1", methodName: "echo", payload: Data("{}".utf8)) }
            _ = try? await service.invokeMethod(deviceId: "d1", methodName: "fail", payload: Data("{}".utf8))

            // A CONNECT with a key that is not the device's.
            let text = device.stringValue.replacingOccurrences(of: device.sharedAccessKey, with: Data(repeating: 1, count: 32).base64EncodedString())
            let impostor = DeviceClient(connectionString: try IoTHubConnectionString(text), options: hub.clientOptions(plainTCP: true))
            await #expect(throws: (any Error).self) { try await impostor.connect() }
            await impostor.close()

            let metrics = try await Self.scrape(port)
            #expect(metrics.value("edgefactor_hub_connections") == 1)
            #expect(metrics.value("edgefactor_hub_connects_total", ["result": "accepted"]) == 1)
            #expect(metrics.value("edgefactor_hub_connects_total", ["result": "bad_credentials"]) == 1)
            #expect(metrics.value("edgefactor_hub_messages_total", ["direction": "received", "kind": "telemetry"]) == 3)
            #expect(metrics.value("edgefactor_hub_messages_total", ["direction": "sent", "kind": "method_request"]) == 3)
            #expect(metrics.value("edgefactor_hub_messages_total", ["direction": "received", "kind": "method_response"]) == 3)
            #expect(metrics.value("edgefactor_hub_method_calls_total", ["result": "2xx"]) == 2)
            #expect(metrics.value("edgefactor_hub_method_calls_total", ["result": "5xx"]) == 1)
            #expect(metrics.value("edgefactor_hub_method_call_duration_seconds_count") == 3)
            #expect(metrics.value("edgefactor_hub_http_requests_total", ["operation": "POST /twins/{deviceId}/methods", "status": "200"]) == 3)

            let ready = try await RawHTTP.get(port: port, "/readyz")
            #expect(ready.status == 200)
            #expect(ready.body == #"{"ready":true,"listening":true,"database":true,"connections":1}"#)
            await client.close()
            #expect(try await eventually { try await Self.scrape(port).value("edgefactor_hub_connections") == 0 })
        }
        let access = log.all.filter { $0.metadata["duration_ms"] != nil }
        #expect(access.filter { $0.message == "POST /twins/d1/methods 200" }.count == 3, "\(access.map(\.message))")
        #expect(access.allSatisfy { !$0.text.contains("?") })
    }

    static func scrape(_ port: Int) async throws -> PrometheusText {
        let response = try await RawHTTP.get(port: port, "/metrics")
        #expect(response.status == 200)
        return try PrometheusText(parsing: response.body)
    }
}

@Suite("Hub metrics of refused CONNECTs")
struct HubRefusedConnectMetricsTests {
    @Test("a CONNECT in an MQTT version the hub does not speak is counted as unacceptable_protocol")
    func oldProtocol() async throws {
        try await withHub({ $0.mqttPlainPort = 0 }) { hub in
            let client = try await RawMQTTClient.connect(port: try #require(hub.mqttPlainPort))
            client.sendBytes([0x10, 0x0E, 0, 6, 0x4D, 0x51, 0x49, 0x73, 0x64, 0x70, 3, 0x02, 0, 60, 0, 0])
            #expect(await client.nextPacket() == .connack(MQTTConnAck(returnCode: .unacceptableProtocolVersion)))
            #expect(await client.waitUntilClosed())
            let metrics = try PrometheusText(parsing: hub.metricsText())
            #expect(metrics.value("edgefactor_hub_connects_total", ["result": "unacceptable_protocol"]) == 1)
            #expect(metrics.value("edgefactor_hub_connects_total", ["result": "accepted"]) == 0)
        }
    }
}
