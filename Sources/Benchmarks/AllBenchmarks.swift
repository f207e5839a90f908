import ArgumentParser
import Foundation

/// `edgefactor-bench all`: storage, hub, vision and flow in one run, and the table of targets.
struct AllBenchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Run the storage, hub, vision and flow benchmarks with their defaults, then write the Targets table.",
        discussion: """
            Each benchmark rewrites its own section of docs/benchmarks.md as soon as it has measured, and
            the "Targets" section gathers the ratios the project aims for from this one run. The
            personal-object study (`objects`) measures error rates, not speed, and runs on its own.
            Takes about half an hour on a 2-core machine.
            """
    )

    @Option(help: "Markdown file whose sections are rewritten.")
    var output = "docs/benchmarks.md"

    @Flag(help: "Print the tables only; leave docs/benchmarks.md alone.")
    var dryRun = false

    func run() async throws {
        let started = Date()
        var storage = try StorageBenchmark.parse([])
        storage.output = output
        var hub = try HubBenchmark.parse([])
        hub.output = output
        var vision = try VisionBenchmark.parse([])
        vision.output = output
        var flow = try FlowBenchmark.parse([])
        flow.output = output
        let steps: [(String, () async throws -> BenchSection)] = [
            ("storage", storage.measure), ("hub", hub.measure), ("vision", vision.measure), ("flow", flow.measure),
        ]
        var targets: [BenchTarget] = []
        for (name, measure) in steps {
            FileHandle.standardError.write(Data("edgefactor-bench all: \(name)\n".utf8))
            let measured = try await measure()
            print(measured.body)
            if !dryRun { try BenchmarkDocument.replaceSection(measured.title, in: output, with: measured.body) }
            targets += measured.targets
        }
        let table = BenchTarget.markdown(targets, command: "swift build -c release && .build/release/edgefactor-bench all", started: started, finished: Date())
        print(table)
        if !dryRun { try BenchmarkDocument.replaceSection("Targets", in: output, with: table, before: "Storage") }
    }
}
