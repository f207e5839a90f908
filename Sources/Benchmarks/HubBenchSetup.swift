import Foundation
import HubService
import IoTHub
import Logging
import MQTT

/// Identities for the benchmark, registered in the hub's data directory before the hub process starts.
enum HubBenchSetup {
    struct Identities {
        var devices: [IoTHubConnectionString]
        var publishers: [IoTHubConnectionString]
    }

    static func register(in directory: URL, devices: Int, publishers: Int) async throws -> Identities {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let hub = try await HubServer.start(HubConfiguration(
            dataDirectory: directory, mqttTLSPort: nil, mqttPlainPort: nil, restPort: 0, logger: logger
        ))
        var result = Identities(devices: [], publishers: [])
        do {
            for index in 0..<devices { result.devices.append(try await hub.addDevice("bench-\(index)")) }
            for index in 0..<publishers { result.publishers.append(try await hub.addDevice("publisher-\(index)")) }
        } catch {
            await hub.shutdown()
            throw error
        }
        await hub.shutdown()
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(HubDescription.fileName))
        return result
    }

    static func connectPacket(_ connectionString: IoTHubConnectionString) -> MQTTConnect {
        let token = (try? SharedAccessSignature.make(
            resourceURI: connectionString.resourceURI, key: connectionString.sharedAccessKey, expiresOn: Date() + 3600
        ))?.token ?? ""
        let clientId = connectionString.deviceId ?? ""
        return MQTTConnect(
            clientId: clientId, keepAliveSeconds: 600, cleanSession: true,
            username: "\(connectionString.hostName)/\(clientId)/?api-version=2021-04-12", password: Array(token.utf8)
        )
    }

    /// Number of telemetry rows the hub holds (its newest id, ids being dense here).
    static func storedCount(hub: HubBenchProcess) async throws -> Int {
        guard let service = hub.serviceClient else { return 0 }
        let newest = try await service.builtInHubTelemetry(limit: 1)
        guard let first = newest.first,
              let object = try JSONSerialization.jsonObject(with: first) as? [String: Any],
              let id = (object["id"] as? NSNumber)?.intValue else { return 0 }
        return id
    }
}

/// A server under test running as its own process (so its memory can be read alone).
struct HubBenchProcess {
    let process: Process
    let port: Int
    let serviceClient: ServiceClient?

    var residentBytes: Int {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kilobytes * 1024
    }

    static func startHub(binary: String, dataDirectory: URL) throws -> HubBenchProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["hub", "run", "--data-dir", dataDirectory.path, "--mqtt-port", "0", "--mqtt-plain-port", "0",
                             "--rest-port", "0", "--log-level", "error", "--telemetry-max-messages", "100000000"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date() + 30
        while Date() < deadline {
            if let description = try? HubDescription.read(from: dataDirectory), let plain = description.mqttPlainPort {
                let pem = try String(contentsOfFile: description.caCertificateFile, encoding: .utf8)
                let service = ServiceClient(
                    connectionString: try IoTHubConnectionString(description.serviceConnectionString),
                    options: ServiceClientOptions(trustRootsPEM: pem)
                )
                return HubBenchProcess(process: process, port: plain, serviceClient: service)
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        process.terminate()
        throw HubStartError("edgefactor hub did not start (no hub.json in \(dataDirectory.path))")
    }

    static func startMosquitto(binary: String, directory: URL) throws -> HubBenchProcess {
        let port = Int.random(in: 20_000...30_000)
        let configuration = directory.appendingPathComponent("mosquitto.conf")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try """
            listener \(port) 127.0.0.1
            allow_anonymous true
            persistence false
            max_inflight_messages 0
            max_queued_messages 0
            set_tcp_nodelay true
            log_dest none
            """.write(to: configuration, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-c", configuration.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 0.5)
        guard process.isRunning else { throw HubStartError("mosquitto exited at start (port \(port) taken?)") }
        return HubBenchProcess(process: process, port: port, serviceClient: nil)
    }
}
