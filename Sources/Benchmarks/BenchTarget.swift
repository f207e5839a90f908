import Foundation

/// One row of the "Targets" section of docs/benchmarks.md: a ratio the project aims for, what this
/// run measured, and whether it was met or, where the stacks cannot reach it, the measured floor.
struct BenchTarget: Sendable {
    var measurement: String
    /// The ratio measured, with the figures it comes from.
    var measured: String
    var target: String
    /// "met", or "not met" with the floor that shows why (or what is left).
    var verdict: String

    static func ratio(_ value: Double) -> String {
        value.isFinite ? String(format: "%.2f×", value) : "–"
    }

    /// The Targets section's body: one table, in the order given.
    static func markdown(_ rows: [BenchTarget], command: String, started: Date, finished: Date) -> String {
        let iso = ISO8601DateFormatter()
        var lines = [
            "Every figure below comes from one run of `\(command)` (\(iso.string(from: started)) to \(iso.string(from: finished)), \(ProcessInfo.processInfo.activeProcessorCount) cores), which also rewrote the sections it names; each ratio is against a baseline measured in the same run.",
            "",
            "| Measurement | Measured | Target | Verdict |",
            "|---|---|---|---|",
        ]
        for row in rows {
            lines.append("| \(row.measurement) | \(row.measured) | \(row.target) | \(row.verdict) |")
        }
        return lines.joined(separator: "\n")
    }
}

/// What one benchmark command measured: its section of docs/benchmarks.md and its target rows.
struct BenchSection: Sendable {
    var title: String
    var body: String
    var targets: [BenchTarget]
}
