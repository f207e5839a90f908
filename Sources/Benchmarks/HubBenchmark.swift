import ArgumentParser
import Foundation
import HubService
import IoTHub
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

    @Option(help: "Idle connections opened against each server.")
    var connections = 10_000

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
        guard (1...18_000).contains(connections) else { throw ValidationError("--connections must be 1…18,000 (file descriptors).") }
        guard (100...5_000_000).contains(messages), (1...64).contains(publishers), (1...1024).contains(window) else {
            throw ValidationError("--messages 100…5,000,000, --publishers 1…64, --window 1…1024.")
        }
        guard (100...1_000_000).contains(methodCalls), (1...256).contains(methodConcurrency) else {
            throw ValidationError("--method-calls 100…1,000,000, --method-concurrency 1…256.")
        }
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600].") }
    }

    func run() async throws {
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

        say("registering \(connections) devices")
        let identities = try await HubBenchSetup.register(in: directory.appendingPathComponent("hub"), devices: connections, publishers: publishers)

        let hub = try HubBenchProcess.startHub(binary: binary, dataDirectory: directory.appendingPathComponent("hub"))
        defer { hub.process.terminate() }
        let broker = try HubBenchProcess.startMosquitto(binary: mosquitto, directory: directory)
        defer { broker.process.terminate() }
        var report = HubBenchReport(connections: connections, messages: messages, publishers: publishers, window: window,
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

        // 2. Telemetry, QoS 1.
        say("telemetry: hub (stored)")
        report.hubTelemetry = try await HubBenchRunner.telemetry(
            port: hub.port, publishers: identities.publishers.map { ($0, HubBenchSetup.connectPacket($0)) },
            total: messages, window: window, counter: nil, limit: limit
        )
        say("  \(Int(report.hubTelemetry?.perSecond ?? 0)) msg/s")
        report.hubStored = try await HubBenchSetup.storedCount(hub: hub)
        say("telemetry: mosquitto (relayed to a subscriber)")
        report.brokerTelemetry = try await HubBenchRunner.telemetry(
            port: broker.port, publishers: (0..<publishers).map { (nil, MQTTConnect(clientId: "pub-\($0)", cleanSession: true)) },
            total: messages, window: window, counter: MQTTConnect(clientId: "sub", cleanSession: true), limit: limit
        )
        say("  \(Int(report.brokerTelemetry?.perSecond ?? 0)) msg/s")

        // 3. Direct methods.
        say("direct methods: hub (REST → MQTT → device → REST)")
        report.hubMethods = try await HubBenchRunner.hubMethods(
            hub: hub, responders: identities.publishers, calls: methodCalls, concurrency: methodConcurrency, limit: limit
        )
        say("  \(Int(report.hubMethods?.perSecond ?? 0)) calls/s")
        say("direct methods: mosquitto request/response baseline")
        report.brokerMethods = try await HubBenchRunner.brokerRequestResponse(
            port: broker.port, calls: methodCalls, window: methodConcurrency, limit: limit
        )
        say("  \(Int(report.brokerMethods?.perSecond ?? 0)) round trips/s")

        let table = report.markdown(command: "swift build -c release && .build/release/edgefactor-bench hub"
            + (connections != 10_000 ? " --connections \(connections)" : ""))
        print(table)
        if !dryRun {
            try HubBenchReport.replaceSection(in: output, with: table)
            say("wrote the Hub section of \(output)")
        }
    }
}

func say(_ line: String) {
    FileHandle.standardError.write(Data(("edgefactor-bench hub: " + line + "\n").utf8))
}
