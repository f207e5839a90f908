import ArgumentParser

/// `edgefactor-bench vision`: Whole-pipeline frames/s against Python onnxruntime's bare session.run.
struct VisionBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vision", abstract: "Whole-pipeline frames/s against Python onnxruntime's bare session.run.")

    func run() async throws {
        print("edgefactor-bench vision: not built yet")
    }
}
