import ArgumentParser

/// `edgefactor agent`: Run the device agent that watches the camera and answers verification requests.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agent", abstract: "Run the device agent that watches the camera and answers verification requests.")

    func run() async throws {
        throw NotBuiltYet(command: "agent")
    }
}
