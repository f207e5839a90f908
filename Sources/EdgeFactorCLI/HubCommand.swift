import ArgumentParser

/// `edgefactor hub`: Run the built-in IoT hub (MQTT + service REST) and manage its identities.
struct HubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hub", abstract: "Run the built-in IoT hub (MQTT + service REST) and manage its identities.")

    func run() async throws {
        throw NotBuiltYet(command: "hub")
    }
}
