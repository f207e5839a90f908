import ArgumentParser
import Foundation
import Vision

/// `edgefactor-bench`: release-build benchmarks. Each area measures itself against a baseline taken
/// in the same run and writes its table into docs/benchmarks.md.
@main
struct BenchmarkTool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edgefactor-bench",
        abstract: "Measure EdgeFactor against baselines taken in the same run; results go to docs/benchmarks.md.",
        subcommands: [AllBenchmarks.self, StorageBenchmark.self, HubBenchmark.self, VisionBenchmark.self, FlowBenchmark.self, ObjectBenchmark.self, HubFloorServer.self]
    )

    /// Vision reads no environment: the tool tells it where set-up put the runtime and the models
    /// (EDGEFACTOR_HOME, EDGEFACTOR_ORT_LIBRARY), then runs the command as ArgumentParser does.
    static func main() async {
        let environment = ProcessInfo.processInfo.environment
        VisionPaths.current = VisionPaths(home: environment["EDGEFACTOR_HOME"], runtimeLibrary: environment["EDGEFACTOR_ORT_LIBRARY"])
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
