import ArgumentParser

/// `edgefactor-bench`: release-build benchmarks. Each area measures itself against a baseline taken
/// in the same run and writes its table into docs/benchmarks.md.
@main
struct BenchmarkTool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edgefactor-bench",
        abstract: "Measure EdgeFactor against baselines taken in the same run; results go to docs/benchmarks.md.",
        subcommands: [StorageBenchmark.self, HubBenchmark.self, VisionBenchmark.self, FlowBenchmark.self, ObjectBenchmark.self, HubFloorServer.self]
    )
}
