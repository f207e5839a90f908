import ArgumentParser

/// `edgefactor-bench storage`: Queue cycles/s and blob MB/s, Swift client and the Python SDK on the same server.
struct StorageBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "storage", abstract: "Queue cycles/s and blob MB/s, Swift client and the Python SDK on the same server.")

    func run() async throws {
        print("edgefactor-bench storage: not built yet")
    }
}
