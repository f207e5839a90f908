import ArgumentParser

/// `edgefactor-bench hub`: Connections, direct-method round trips/s and telemetry/s, against Mosquitto.
struct HubBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hub", abstract: "Connections, direct-method round trips/s and telemetry/s, against Mosquitto.")

    func run() async throws {
        print("edgefactor-bench hub: not built yet")
    }
}
