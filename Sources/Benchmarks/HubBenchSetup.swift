import Foundation
import HubService
import IoTHub
import Logging
import MQTT
import TestSupport

/// Identities for the benchmark, registered in the hub's data directory before the hub process starts.
enum HubBenchSetup {
    struct Identities {
        var devices: [IoTHubConnectionString]
        var publishers: [IoTHubConnectionString]
    }

    static func register(in directory: URL, devices: Int, publishers: Int) async throws -> Identities {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let hubConfigurationToRun = HubConfiguration(
            dataDirectory: directory, mqttTLSPort: nil, mqttPlainPort: nil, restPort: 0, logger: logger
        )
        let hubServer = try await BackgroundServer.start { try await HubServer.withRunning(hubConfigurationToRun, $0) }
        let hub = hubServer.handle
        var result = Identities(devices: [], publishers: [])
        do {
            for index in 0..<devices { result.devices.append(try await hub.addDevice("bench-\(index)")) }
            for index in 0..<publishers { result.publishers.append(try await hub.addDevice("publisher-\(index)")) }
        } catch {
            await hubServer.stop()
            throw error
        }
        await hubServer.stop()
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
    /// Ends the process: SIGTERM, then SIGKILL if it is still there. A child inherits this
    /// process's blocked signals, and Mosquitto, which never unblocks SIGTERM, outlived the run.
    func stop() {
        process.terminate()
        let deadline = Date() + 2
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// CPU seconds (user + system, all threads) the process has used, from /proc/{pid}/stat.
    var cpuSeconds: Double {
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(process.processIdentifier)/stat") else { return 0 }
        defer { try? handle.close() }
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        // Fields after the command name (which may hold spaces) in parentheses: utime is the 12th, stime the 13th.
        guard let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / 100
    }

    /// The service REST port, where there is one.
    var restPort: Int?

    /// TCP connections to the REST port, established and in TIME-WAIT (closed ones linger there
    /// for a minute, so a connection per call would show as thousands), from /proc/net/tcp.
    var restConnections: (established: Int, timeWait: Int) {
        guard let restPort else { return (0, 0) }
        var established = 0
        var timeWait = 0
        for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
            // Read to the end: procfs files report a size of 0.
            guard let handle = FileHandle(forReadingAtPath: file) else { continue }
            let table = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
            try? handle.close()
            for row in table.split(separator: "\n").dropFirst() {
                let fields = row.split(separator: " ")
                guard fields.count > 3 else { continue }
                func port(_ address: Substring) -> Int? {
                    address.lastIndex(of: ":").flatMap { Int(address[address.index(after: $0)...], radix: 16) }
                }
                // Established: the server's end (local port); TIME-WAIT: whichever end closed first.
                if fields[3] == "01", port(fields[1]) == restPort { established += 1 }
                if fields[3] == "06", port(fields[1]) == restPort || port(fields[2]) == restPort { timeWait += 1 }
            }
        }
        return (established, timeWait)
    }

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
                             "--rest-port", "0", "--log-level", "error", "--telemetry-max-messages", "100000000",
                             "--max-mqtt-connections", "1000000"]
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
                return HubBenchProcess(process: process, port: plain, serviceClient: service, restPort: description.restPort)
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        process.terminate()
        throw HubStartError("edgefactor hub did not start (no hub.json in \(dataDirectory.path))")
    }

    /// `edgefactor-bench hub-floor-server` (this executable): a bare SwiftNIO server holding
    /// connections and, with the hub's `certificates`, the HTTPS floor of a direct method.
    static func startFloor(binary: String, certificates: URL, like hub: HubBenchProcess) throws -> HubBenchProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["hub-floor-server", "--certificates", certificates.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = pipe.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            line.append(chunk)
        }
        let ports = String(decoding: line, as: UTF8.self).split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard ports.count == 2, ports[0] > 0, ports[1] > 0, let hubService = hub.serviceClient,
              let base = URL(string: "https://localhost:\(ports[1])") else {
            process.terminate()
            throw HubStartError("the floor server did not report its ports")
        }
        var options = hubService.options
        options.baseURL = base
        return HubBenchProcess(
            process: process, port: ports[0],
            serviceClient: ServiceClient(connectionString: hubService.connectionString, options: options), restPort: ports[1]
        )
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
