import ArgumentParser
import Foundation

/// `edgefactor-bench flow`: ProcessRequest-to-result latency and sustained requests/s.
struct FlowBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flow",
        abstract: "ProcessRequest-to-result latency and sustained requests/s.",
        discussion: """
            Runs the built-in hub and storage, the edge module and the device agent in one process with a
            folder camera showing the object, and measures the time from invoking ProcessRequest to the
            signed result being in storage: p50/p99 over --requests requests (with the module waking the
            agent, and with the agent only polling the queue), sustained requests/s with 1 and
            --concurrency in flight, and the agent's own timings per stage. The baseline is the same steps
            done back to back by one client. Writes the "Flow" section of docs/benchmarks.md.
            """
    )

    @Option(help: "Requests per latency run, and per throughput run.")
    var requests = 200

    @Option(help: "Requests in flight for the concurrent throughput run.")
    var concurrency = 16

    @Option(help: "Baseline iterations.")
    var baselineIterations = 50

    @Option(help: "The photo the camera shows (default: $EDGEFACTOR_HOME/photos/coffee.jpg).")
    var photo: String?

    @Option(help: "ONNX Runtime threads for the classifier (the agent's and the baseline's); 0: one per core.")
    var threads = 0

    @Option(help: "Whether the classifier's threads spin while they wait for work (ONNX Runtime's allow_spinning).")
    var spinning = true

    @Option(help: "Markdown file whose Flow section is rewritten.")
    var output = "docs/benchmarks.md"

    @Flag(help: "Print the table only; leave docs/benchmarks.md alone.")
    var dryRun = false

    func validate() throws {
        guard (10...10_000).contains(requests), (1...64).contains(concurrency), (5...1000).contains(baselineIterations) else {
            throw ValidationError("--requests 10…10,000, --concurrency 1…64, --baseline-iterations 5…1000.")
        }
    }

    func run() async throws {
        let measured = try await measure()
        print(measured.body)
        if !dryRun { try BenchmarkDocument.replaceSection(measured.title, in: output, with: measured.body) }
    }

    func measure() async throws -> BenchSection {
        let home = ProcessInfo.processInfo.environment["EDGEFACTOR_HOME"] ?? "var"
        let rig = try await FlowRig(photo: photo ?? "\(home)/photos/coffee.jpg", threads: threads, spinning: spinning)
        do {
            let report = try await measure(rig)
            await rig.shutdown()
            let table = report.markdown(command: "edgefactor-bench flow --requests \(requests) --concurrency \(concurrency)")
            return BenchSection(title: "Flow", body: table, targets: report.targets)
        } catch {
            await rig.shutdown()
            throw error
        }
    }

    private func measure(_ rig: FlowRig) async throws -> FlowReport {
        print("flow: waiting for the module and agent to connect")
        try await rig.waitUntilOnline()
        for _ in 0..<10 { _ = try await rig.verify() }   // warm-up

        print("flow: baseline, \(baselineIterations) iterations")
        let baseline = try await FlowBaseline.measure(rig: rig, iterations: baselineIterations)
        let fastest = baseline.samples.min() ?? .zero
        rig.firstPoll.withLock { $0 = fastest * 0.9 }

        print("flow: \(requests) sequential requests, module wakes the agent")
        rig.wakeAgent.withLock { $0 = true }
        let clock = ContinuousClock()
        var woken = FlowReport.Latency(samples: [], invoke: [])
        var ids: Set<String> = []
        let sequentialStart = clock.now
        for _ in 0..<requests {
            let sample = try await rig.verify()
            woken.samples.append(sample.total)
            woken.invoke.append(sample.invoke)
            ids.insert(sample.requestId)
        }
        let sequentialRate = Double(requests) / FlowReport.ms(clock.now - sequentialStart) * 1000
        try await Task.sleep(for: .milliseconds(500))
        let stageSamples = try await rig.timings(for: ids)
        var stages: [String: Double] = [:]
        for key in ["queue", "watch", "inference", "encode", "upload", "total"] {
            let values = stageSamples.compactMap { $0[key] }
            if !values.isEmpty { stages[key] = values.reduce(0, +) / Double(values.count) }
        }

        print("flow: \(requests) sequential requests, agent polls the queue")
        rig.wakeAgent.withLock { $0 = false }
        var polled = FlowReport.Latency(samples: [], invoke: [])
        for _ in 0..<requests {
            let sample = try await rig.verify()
            polled.samples.append(sample.total)
            polled.invoke.append(sample.invoke)
        }

        print("flow: \(requests) requests, \(concurrency) in flight")
        rig.wakeAgent.withLock { $0 = true }
        let concurrentStart = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            let perWorker = requests / concurrency, extra = requests % concurrency
            for worker in 0..<concurrency {
                let count = perWorker + (worker < extra ? 1 : 0)
                group.addTask { for _ in 0..<count { _ = try await rig.verify() } }
            }
            try await group.waitForAll()
        }
        let concurrentRate = Double(requests) / FlowReport.ms(clock.now - concurrentStart) * 1000

        return FlowReport(
            requests: requests, woken: woken, polled: polled, baseline: baseline.samples, baselineStages: baseline.stages, sequentialRate: sequentialRate,
            concurrentRate: concurrentRate, concurrency: concurrency, stages: stages)
    }
}
