import Foundation

/// The Hub section of docs/benchmarks.md.
struct HubBenchReport {
    var connections: Int
    var messages: Int
    var publishers: Int
    var window: Int
    var methodCalls: Int
    var methodConcurrency: Int
    var hubConnections: HubBenchRunner.ConnectionResult?
    var brokerConnections: HubBenchRunner.ConnectionResult?
    var hubTelemetry: HubBenchRunner.Throughput?
    var hubStored = 0
    var brokerTelemetry: HubBenchRunner.Throughput?
    var hubMethods: HubBenchRunner.Throughput?
    var brokerMethods: HubBenchRunner.Throughput?

    private func ratio(_ hub: Double?, _ baseline: Double?) -> String {
        guard let hub, let baseline, baseline > 0 else { return "-" }
        return String(format: "%.2f×", hub / baseline)
    }

    private func rate(_ value: Double?) -> String {
        value.map { String(format: "%.0f", $0) } ?? "-"
    }

    private func kib(_ value: Double?) -> String {
        value.map { String(format: "%.1f KiB", $0 / 1024) } ?? "-"
    }

    func markdown(command: String) -> String {
        let date = ISO8601DateFormatter().string(from: Date())
        var lines = [
            "Command: `\(command)` (\(date), \(ProcessInfo.processInfo.activeProcessorCount) cores).",
            "`edgefactor hub` and Mosquitto \(mosquittoVersion()) run as separate processes on loopback (MQTT over plain TCP,",
            "so the figures compare brokers, not TLS) and are driven by the same lean MQTT client.",
            "",
            "| Measurement | EdgeFactor hub | Mosquitto (baseline) | hub / baseline |",
            "|---|---|---|---|",
            "| Idle connections opened (target \(connections)) | \(hubConnections.map { "\($0.opened) in \(String(format: "%.1f", $0.seconds)) s" } ?? "-") | \(brokerConnections.map { "\($0.opened) in \(String(format: "%.1f", $0.seconds)) s" } ?? "-") | - |",
            "| Server memory per connection (RSS growth) | \(kib(hubConnections?.bytesPerConnection)) | \(kib(brokerConnections?.bytesPerConnection)) | \(ratio(hubConnections?.bytesPerConnection, brokerConnections?.bytesPerConnection)) |",
            "| QoS 1 telemetry, messages/s (\(publishers) publishers × \(window) in flight) | \(rate(hubTelemetry?.perSecond)) (each stored in SQLite before PUBACK; \(hubStored) rows) | \(rate(brokerTelemetry?.perSecond)) (relayed to 1 subscriber) | \(ratio(hubTelemetry?.perSecond, brokerTelemetry?.perSecond)) |",
            "| Direct-method round trips/s (\(methodConcurrency) concurrent) | \(rate(hubMethods?.perSecond)) (service REST over HTTPS, one connection per concurrent call → MQTT → device → REST\(hubMethods.map { $0.errors > 0 ? ", \($0.errors) errors" : "" } ?? "")) | \(rate(brokerMethods?.perSecond)) (bare MQTT request/response) | \(ratio(hubMethods?.perSecond, brokerMethods?.perSecond)) |",
            "",
            "Counts: \(hubTelemetry?.count ?? 0) of \(messages) telemetry messages, \(hubMethods?.count ?? 0) of \(methodCalls) method calls",
            "completed within the time bound. Memory per connection is the server's RSS growth divided by the",
            "connections it holds (the hub keeps a NIO channel, MQTT codec and session per identity).",
        ]
        lines.append("")
        return lines.joined(separator: "\n")
    }

    private func mosquittoVersion() -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/mosquitto")
        process.arguments = ["-h"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        guard (try? process.run()) != nil else { return "" }
        process.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text.split(separator: "\n").first.map { $0.replacingOccurrences(of: "mosquitto version ", with: "") } ?? ""
    }

    /// Replaces the body of `## Hub` in the Markdown file (up to the next `## ` heading).
    static func replaceSection(in path: String, with body: String) throws {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "# Benchmarks\n"
        var lines = text.components(separatedBy: "\n")
        let section = ["## Hub", ""] + body.components(separatedBy: "\n")
        if let start = lines.firstIndex(of: "## Hub") {
            let end = lines[(start + 1)...].firstIndex { $0.hasPrefix("## ") } ?? lines.count
            lines.replaceSubrange(start..<end, with: section)
        } else {
            lines += [""] + section
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}
