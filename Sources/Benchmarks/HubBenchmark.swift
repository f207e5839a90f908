import ArgumentParser
import Foundation
import HubService
import IoTHub
import ListenerSafety
import Logging
import MQTT
import NIOCore

/// `edgefactor-bench hub`: Connections, direct-method round trips/s and telemetry/s, against Mosquitto.
struct HubBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "Connections, direct-method round trips/s and telemetry/s, against Mosquitto.",
        discussion: """
            Runs `edgefactor hub` and `mosquitto` as separate processes on loopback and drives both with the
            same lean MQTT client: N idle connections (server memory per connection from /proc RSS), QoS 1
            telemetry (the hub stores every message in SQLite before its PUBACK; Mosquitto relays to one
            subscriber), and direct methods (the hub: service REST → MQTT → device → REST; Mosquitto: a bare
            MQTT request/response). Writes the "Hub" section of docs/benchmarks.md.
            """
    )

    @Option(help: "Idle connections opened against each server (as many as the file-descriptor limit allows).")
    var connections = 100_000

    @Option(help: "Telemetry messages published to each server.")
    var messages = 100_000

    @Option(help: "Publishing connections (each keeps --window messages unacknowledged).")
    var publishers = 4

    @Option(help: "Unacknowledged messages per publishing connection, and outstanding requests per requester.")
    var window = 64

    @Option(help: "Direct-method calls made through each server.")
    var methodCalls = 20_000

    @Option(help: "Concurrent direct-method calls.")
    var methodConcurrency = 32

    @Option(help: "Interleaved rounds of the telemetry and direct-method measurements (the table shows medians).")
    var rounds = 3

    @Option(help: "Upper bound in seconds for each measurement.")
    var seconds = 60.0

    @Option(help: "The edgefactor executable (default: next to this one).")
    var edgefactor: String?

    @Option(help: "The Mosquitto broker executable.")
    var mosquitto = "/usr/sbin/mosquitto"

    @Option(help: "Markdown file whose Hub section is rewritten.")
    var output = "docs/benchmarks.md"

    @Flag(help: "Print the table only; leave docs/benchmarks.md alone.")
    var dryRun = false

    func validate() throws {
        guard (1...1_000_000).contains(connections) else { throw ValidationError("--connections must be 1…1,000,000.") }
        guard (100...5_000_000).contains(messages), (1...64).contains(publishers), (1...1024).contains(window) else {
            throw ValidationError("--messages 100…5,000,000, --publishers 1…64, --window 1…1024.")
        }
        guard (100...1_000_000).contains(methodCalls), (1...256).contains(methodConcurrency) else {
            throw ValidationError("--method-calls 100…1,000,000, --method-concurrency 1…256.")
        }
        guard (1...9).contains(rounds) else { throw ValidationError("--rounds must be 1…9.") }
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600].") }
    }

    func run() async throws {
        let measured = try await measure()
        print(measured.body)
        if !dryRun {
            try BenchmarkDocument.replaceSection(measured.title, in: output, with: measured.body)
            say("wrote the Hub section of \(output)")
        }
    }

    func measure() async throws -> BenchSection {
        let binary = edgefactor ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("edgefactor").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ValidationError("no edgefactor executable at \(binary): build it (swift build -c release) or pass --edgefactor")
        }
        guard FileManager.default.isExecutableFile(atPath: mosquitto) else {
            throw ValidationError("no Mosquitto at \(mosquitto): install it (scripts/setup.sh --test) or pass --mosquitto")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("edgefactor-bench-hub-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let limit = Duration.seconds(seconds)
        // This process holds one descriptor per connection, and each server (which inherits the
        // limit) one more: the limit, not the hub, bounds how many are measured on this machine.
        let descriptorLimit = FileDescriptorLimit.raiseToHardLimit()
        let connections = min(self.connections, max(1, descriptorLimit - 512))
        if connections < self.connections {
            say("the file-descriptor limit is \(descriptorLimit): measuring \(connections) of \(self.connections) connections")
        }

        say("registering \(connections) devices")
        let identities = try await HubBenchSetup.register(in: directory.appendingPathComponent("hub"), devices: connections, publishers: publishers)

        let hub = try HubBenchProcess.startHub(binary: binary, dataDirectory: directory.appendingPathComponent("hub"))
        defer { hub.process.terminate() }
        let broker = try HubBenchProcess.startMosquitto(binary: mosquitto, directory: directory)
        defer { broker.stop() }
        let floor = try HubBenchProcess.startFloor(
            binary: Bundle.main.executableURL?.path ?? CommandLine.arguments[0],
            certificates: directory.appendingPathComponent("hub").appendingPathComponent("certs"), like: hub
        )
        defer { floor.stop() }
        var report = HubBenchReport(connections: self.connections, rounds: rounds, measuredConnections: connections, descriptorLimit: descriptorLimit, messages: messages, publishers: publishers, window: window,
                                    methodCalls: methodCalls, methodConcurrency: methodConcurrency)

        // 1. Idle connections and memory per connection.
        say("connections: hub")
        report.hubConnections = try await HubBenchRunner.connections(server: hub, target: connections, limit: limit) { index in
            HubBenchSetup.connectPacket(identities.devices[index])
        }
        say("  \(report.hubConnections?.summary ?? "-")")
        say("connections: mosquitto")
        report.brokerConnections = try await HubBenchRunner.connections(server: broker, target: connections, limit: limit) { index in
            MQTTConnect(clientId: "bench-\(index)", cleanSession: true)
        }
        say("  \(report.brokerConnections?.summary ?? "-")")
        say("connections: bare SwiftNIO floor")
        report.floorConnections = try await HubBenchRunner.connections(server: floor, target: connections, limit: limit) { index in
            MQTTConnect(clientId: "floor-\(index)", cleanSession: true)
        }
        say("  \(report.floorConnections?.summary ?? "-")")

        // 2 and 3, in interleaved rounds (hub, then its baselines), each figure the median of
        // its rounds: the shared machine's load changes from one second to the next.
        var hubTelemetry: [HubBenchRunner.Throughput] = []
        var brokerTelemetry: [HubBenchRunner.Throughput] = []
        var hubMethods: [HubBenchRunner.Throughput] = []
        var restFloor: [HubBenchRunner.Throughput] = []
        var brokerMethods: [HubBenchRunner.Throughput] = []
        for round in 1...rounds {
            say("round \(round) of \(rounds): telemetry: hub (stored)")
            hubTelemetry.append(try await HubBenchRunner.withCPU(hub) {
                try await HubBenchRunner.telemetry(
                    port: hub.port, publishers: identities.publishers.map { ($0, HubBenchSetup.connectPacket($0)) },
                    total: messages, window: window, counter: nil, limit: limit
                )
            })
            say("  \(Int(hubTelemetry.last?.perSecond ?? 0)) msg/s, \(Int(hubTelemetry.last?.cpuPerOperation ?? 0)) µs CPU each")
            say("round \(round) of \(rounds): telemetry: mosquitto (relayed to a subscriber)")
            brokerTelemetry.append(try await HubBenchRunner.withCPU(broker) {
                try await HubBenchRunner.telemetry(
                    port: broker.port, publishers: (0..<publishers).map { (nil, MQTTConnect(clientId: "pub-\($0)", cleanSession: true)) },
                    total: messages, window: window, counter: MQTTConnect(clientId: "sub", cleanSession: true), limit: limit
                )
            })
            say("  \(Int(brokerTelemetry.last?.perSecond ?? 0)) msg/s, \(Int(brokerTelemetry.last?.cpuPerOperation ?? 0)) µs CPU each")

            say("round \(round) of \(rounds): direct methods: hub (REST → MQTT → device → REST)")
            hubMethods.append(try await HubBenchRunner.withCPU(hub) {
                try await HubBenchRunner.hubMethods(
                    hub: hub, responders: identities.publishers, calls: methodCalls, concurrency: methodConcurrency, limit: limit
                )
            })
            if round == 1, let first = hubMethods.first {
                report.hubRESTConnections = hub.restConnections
                report.hubRESTCalls = first.count + first.errors + 1
            }
            say("  \(Int(hubMethods.last?.perSecond ?? 0)) calls/s, \(Int(hubMethods.last?.cpuPerOperation ?? 0)) µs CPU each; REST connections after round 1: \(report.hubRESTConnections.established) open, \(report.hubRESTConnections.timeWait) closed (TIME-WAIT)")
            say("round \(round) of \(rounds): direct methods: REST floor (the same HTTPS calls answered at once)")
            restFloor.append(try await HubBenchRunner.withCPU(floor) {
                try await HubBenchRunner.restFloor(floor: floor, calls: methodCalls, concurrency: methodConcurrency, limit: limit)
            })
            say("  \(Int(restFloor.last?.perSecond ?? 0)) calls/s, \(Int(restFloor.last?.cpuPerOperation ?? 0)) µs CPU each")
            say("round \(round) of \(rounds): direct methods: mosquitto request/response baseline")
            brokerMethods.append(try await HubBenchRunner.withCPU(broker) {
                try await HubBenchRunner.brokerRequestResponse(
                    port: broker.port, calls: methodCalls, window: methodConcurrency, limit: limit
                )
            })
            say("  \(Int(brokerMethods.last?.perSecond ?? 0)) round trips/s, \(Int(brokerMethods.last?.cpuPerOperation ?? 0)) µs CPU each")
        }
        report.hubStored = try await HubBenchSetup.storedCount(hub: hub)
        report.cpu = HubBenchReport.CPU(
            hubTelemetry: HubBenchRunner.medianCPU(hubTelemetry), brokerTelemetry: HubBenchRunner.medianCPU(brokerTelemetry),
            hubMethods: HubBenchRunner.medianCPU(hubMethods), restFloor: HubBenchRunner.medianCPU(restFloor),
            brokerMethods: HubBenchRunner.medianCPU(brokerMethods)
        )
        report.hubTelemetry = HubBenchRunner.median(hubTelemetry)
        report.brokerTelemetry = HubBenchRunner.median(brokerTelemetry)
        report.hubMethods = HubBenchRunner.median(hubMethods)
        report.restFloor = HubBenchRunner.median(restFloor)
        report.brokerMethods = HubBenchRunner.median(brokerMethods)

        let table = report.markdown(command: "swift build -c release && .build/release/edgefactor-bench hub"
            + (self.connections != 100_000 ? " --connections \(self.connections)" : ""))
        return BenchSection(title: "Hub", body: table, targets: report.targets)
    }
}

func say(_ line: String) {
    FileHandle.standardError.write(Data(("edgefactor-bench hub: " + line + "\n").utf8))
}
