import ArgumentParser

/// `edgefactor-bench flow`: ProcessRequest-to-result latency and sustained requests/s.
struct FlowBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "flow", abstract: "ProcessRequest-to-result latency and sustained requests/s.")

    func run() async throws {
        print("edgefactor-bench flow: not built yet")
    }
}
