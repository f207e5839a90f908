import Foundation
import HubService
import IoTHub
import Testing
import TestSupport

/// The service REST API through the Swift ServiceClient: auth, registry, methods, telemetry stream.
@Suite struct HubServiceAPITests {
    @Test func wrongPolicyKeyIsUnauthorized() async throws {
        try await withHub { hub in
            var connectionString = hub.serviceConnectionString
            connectionString.sharedAccessKey = Data(repeating: 1, count: 32).base64EncodedString()
            let intruder = ServiceClient(connectionString: connectionString, options: hub.serviceClientOptions)
            do {
                _ = try await intruder.listDevices()
                Issue.record("listDevices succeeded with a wrong key")
            } catch let error as IoTHubServiceError {
                #expect(error.status == 401)
                #expect(error.errorCode == 401002)
            }
        }
    }

    @Test func registryCreatesListsAndDeletes() async throws {
        try await withHub { hub in
            let service = hub.serviceClient()
            let device = try await service.createDevice("dev-1")
            #expect(device.status == "enabled")
            #expect(device.authentication?.symmetricKey?.primaryKey != nil)
            do {
                _ = try await service.createDevice("dev-1")
                Issue.record("duplicate device accepted")
            } catch let error as IoTHubServiceError {
                #expect(error.errorCode == IoTHubServiceError.deviceAlreadyExists)
            }
            _ = try await service.createModule(deviceId: "dev-1", moduleId: "mod-1")
            #expect(try await service.listModules(deviceId: "dev-1").map(\.moduleId) == ["mod-1"])
            #expect(try await service.listDevices().map(\.deviceId) == ["dev-1"])
            do {
                _ = try await service.createDevice("bad/id")
                Issue.record("invalid id accepted")
            } catch let error as IoTHubServiceError {
                #expect(error.status == 400 || error.status == 404)
            }
            let connectionString = try #require(service.connectionString(for: device))
            #expect(connectionString.hostName == "localhost")
            try await service.deleteDevice("dev-1")
            do {
                _ = try await service.getModule(deviceId: "dev-1", moduleId: "mod-1")
                Issue.record("module survived its device")
            } catch let error as IoTHubServiceError {
                #expect(error.errorCode == IoTHubServiceError.moduleNotFound)
            }
        }
    }

    @Test func methodErrorsCarryIoTHubCodes() async throws {
        try await withHub { hub in
            let service = hub.serviceClient()
            let device = try await hub.addDevice("d1")
            do {
                _ = try await service.invokeMethod(deviceId: "missing", methodName: "m", payload: Data("{}".utf8))
            } catch let error as IoTHubServiceError {
                #expect(error.errorCode == IoTHubServiceError.deviceNotFound)
            }
            do {
                _ = try await service.invokeMethod(deviceId: "d1", methodName: "m", payload: Data("{}".utf8))
            } catch let error as IoTHubServiceError {
                #expect(error.errorCode == IoTHubServiceError.deviceNotOnline)
                #expect(error.description.contains("not connected"))
            }
            let client = DeviceClient(connectionString: device, options: hub.clientOptions(plainTCP: true))
            await client.onMethod { request in
                if request.name == "slow" { try? await Task.sleep(for: .seconds(8)) }
                return MethodResponse(status: 200, payload: request.payload)
            }
            try await client.connect()
            do {
                _ = try await service.invokeMethod(deviceId: "d1", methodName: "slow", payload: Data("{}".utf8), responseTimeout: .seconds(5))
                Issue.record("slow handler did not time out")
            } catch let error as IoTHubServiceError {
                #expect(error.errorCode == IoTHubServiceError.gatewayTimeout)
            }
            let echo = try await service.invokeMethod(deviceId: "d1", methodName: "echo", payload: Data(#"{"x":"ü"}"#.utf8))
            #expect(String(decoding: echo.payload, as: UTF8.self) == #"{"x":"ü"}"#)
            await client.close()
        }
    }

    @Test func telemetryStreamsOverServerSentEventsAndRetentionIsBounded() async throws {
        try await withHub({ $0.telemetryMaxMessages = 5 }) { hub in
            let device = try await hub.addDevice("d1")
            let client = DeviceClient(connectionString: device, options: hub.clientOptions())
            try await client.connect()
            let service = hub.serviceClient()
            let stream = service.builtInHubTelemetryStream(deviceId: "d1")
            let reader = Task { () -> [String] in
                var lines: [String] = []
                for try await line in stream {
                    lines.append(line)
                    if lines.count == 3 { break }
                }
                return lines
            }
            try await Task.sleep(for: .milliseconds(300))
            for index in 0..<40 {
                try await client.sendTelemetry(TelemetryMessage(body: Data("#\(index)".utf8), properties: ["i": "\(index)"]))
            }
            let lines = try await reader.value
            let first = try JSONDecoder().decode([String: JSONValue].self, from: Data(lines[0].utf8))
            #expect(first["deviceId"] == .string("d1"))
            #expect(first["body"] == .string("#0"))
            #expect(first["properties"] == .object(["i": .string("0")]))
            // Retention keeps the newest 5 (trimmed periodically; the last trim runs on the 32nd batch at the latest).
            #expect(try await eventually {
                let stored = try await hub.telemetry(deviceId: "d1", limit: 100)
                return stored.count <= 5 + 32 && stored.last.map { String(decoding: $0.body, as: UTF8.self) } == "#39"
            })
            await client.close()
        }
    }
}
