import Foundation

/// The Flow section of docs/benchmarks.md.
struct FlowReport {
    struct Latency {
        var samples: [Duration]
        var invoke: [Duration]

        func percentile(_ p: Double) -> Double { FlowReport.percentile(samples, p) }
    }

    var requests: Int
    var woken: Latency
    var polled: Latency
    var baseline: [Duration]
    /// Mean ms of the baseline's steps, by the stage keys of `stages` (plus "invoke").
    var baselineStages: [String: Double] = [:]
    var sequentialRate: Double
    var concurrentRate: Double
    var concurrency: Int
    var stages: [String: Double]

    static func percentile(_ samples: [Duration], _ p: Double) -> Double {
        guard !samples.isEmpty else { return .nan }
        let sorted = samples.sorted()
        let index = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
        return ms(sorted[index])
    }

    static func ms(_ duration: Duration) -> Double {
        duration / .milliseconds(1)
    }

    static func mean(_ samples: [Duration]) -> Double {
        samples.isEmpty ? .nan : samples.map(ms).reduce(0, +) / Double(samples.count)
    }

    private func f(_ value: Double) -> String { value.isNaN ? "-" : String(format: "%.1f", value) }

    func markdown(command: String) -> String {
        let date = ISO8601DateFormatter().string(from: Date())
        let base = Self.percentile(baseline, 50)
        func stage(_ key: String) -> String { f(stages[key] ?? .nan) + " | " + f(baselineStages[key] ?? .nan) }
        let lines = [
            "Command: `\(command)` (\(date), \(ProcessInfo.processInfo.activeProcessorCount) cores).",
            "Built-in hub (MQTT over TLS, service REST over HTTPS) and storage on loopback, the edge module and the",
            "device agent in one process, EfficientNet-Lite0 on a folder camera that shows an espresso from the first",
            "frame. Latency is from invoking `ProcessRequest` to `result.json` being readable (polled every 2 ms from 90 % of",
            "the baseline's fastest iteration on: no request is done sooner, and earlier polls would take the cores the",
            "request needs; a later first poll can only make a request look slower), over",
            "\(requests) requests one after another.",
            "",
            "| Measurement | Value | vs baseline |",
            "|---|---|---|",
            "| p50 / p99, module wakes the agent (one process) | \(f(woken.percentile(50))) / \(f(woken.percentile(99))) ms | \(String(format: "%.2f×", woken.percentile(50) / base)) |",
            "| p50 / p99, agent polls the queue (separate processes; 10–250 ms backoff) | \(f(polled.percentile(50))) / \(f(polled.percentile(99))) ms | \(String(format: "%.2f×", polled.percentile(50) / base)) |",
            "| Sustained, 1 in flight | \(String(format: "%.1f", sequentialRate)) requests/s | |",
            "| Sustained, \(concurrency) in flight | \(String(format: "%.1f", concurrentRate)) requests/s | |",
            "| Baseline: the same steps back to back by one client (p50) | \(f(base)) ms | 1.00× |",
            "",
            "The baseline does, with nothing in between, what one request cannot avoid: a direct-method round trip",
            "to a module that answers at once, queue send + receive + delete, one frame read and classified, the",
            "annotated JPEG encoded and the result sealed, two blob uploads.",
            "",
            "Where the time goes (means over the one-process run, ms; the baseline's same steps beside them: its queue",
            "row is send + receive + delete, its watch row one frame read and classified):",
            "",
            "| Stage | flow | baseline |",
            "|---|---|---|",
            "| `ProcessRequest` round trip (service REST → hub → module → queue accepted → 200) | \(f(Self.mean(woken.invoke))) | \(f(baselineStages["invoke"] ?? .nan)) |",
            "| Queue: enqueued → received by the agent | \(stage("queue")) |",
            "| Watch: received → frame matched (camera read + inference) | \(stage("watch")) |",
            "| of which inference | \(stage("inference")) |",
            "| Annotate, encode JPEG, sign | \(stage("encode")) |",
            "| Upload image + result | \(stage("upload")) |",
            "| Agent total: received → result stored | \(f(stages["total"] ?? .nan)) | - |",
            "",
            reading(base: base),
            "",
        ]
        return lines.joined(separator: "\n")
    }

    /// What the stage table says against the baseline (issue 16's questions about it).
    private func reading(base: Double) -> String {
        func extra(_ flow: Double, _ baseline: Double?) -> String {
            guard let baseline, !flow.isNaN else { return "-" }
            return String(format: "%+.1f ms", flow - baseline)
        }
        let invoke = Self.mean(woken.invoke)
        return """
            Reading: the median request takes \(String(format: "%.2f×", woken.percentile(50) / base)) the baseline (target ≤ 1.25×). \
            Against the baseline's same steps, the extra time is in the watch (\(extra(stages["watch"] ?? .nan, baselineStages["watch"])), \
            of which inference \(extra(stages["inference"] ?? .nan, baselineStages["inference"]))) and in the `ProcessRequest` round \
            trip (\(extra(invoke, baselineStages["invoke"])): the module checks and seals the request and sends it to the queue \
            before it answers, where the baseline's module answers at once). The baseline's inference has the two cores to \
            itself; the flow's shares them with what the other components do meanwhile (the agent's checks of the request, which \
            now overlap its first frame instead of preceding it, the module's and the hub's answers), and \
            ONNX Runtime's two threads wait for each other whenever one is preempted. Measured while choosing (dry runs of 100 \
            requests, 2026-12-03): with one inference thread the ratio was 1.22× (p50 30.1 ms against a 24.6 ms baseline), with \
            the default two 1.36× (23.7 against 17.4 ms): the agent keeps two, since what a person waits for is the latency, not \
            the ratio. With ONNX Runtime's threads sleeping instead of spinning while they wait (`--spinning false`; two runs \
            each, same day) the ratio fell to 1.32× from 1.45–1.51×, but only because the baseline's inference slowed as much: \
            the median a person waits for stayed where it was (23.2 and 26.1 ms against 23.4 and 25.7 ms), while 16 in flight \
            rose from 62–82 to 93–97 requests/s. The agent keeps ONNX Runtime's default, since one request at a time is its \
            usual load and an idle core is what spinning uses. The uploads (\(f(stages["upload"] ?? .nan)) against \
            \(f(baselineStages["upload"] ?? .nan)) ms) and the queue hand-over (\(f(stages["queue"] ?? .nan)) ms, woken by the module, against send + receive + delete \
            \(f(baselineStages["queue"] ?? .nan)) ms) cost about what they cost the baseline. What changed (issue 16): the agent starts \
            the first frame while it checks the request (already answered? replayed?), where it used to check first (the watch \
            less its inference: 5.5 ms on 2026-12-02, about 3 ms since); the benchmark measures its baseline first and polls for \
            the result from 90 % of the baseline's fastest iteration on, where it used to poll every 2 ms from the start; an \
            agent that receives fewer messages than it asked for waits for the module's ring or its shortest interval before it \
            looks again, where it used to look again at once: one receive less per request (a billed transaction on Azure), \
            and none competing with the first frame for the cores.
            """
    }
}
