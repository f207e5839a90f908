import ArgumentParser

/// `edgefactor secrets`: Provision the per-module and per-device secrets.
struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "secrets", abstract: "Provision the per-module and per-device secrets.")

    func run() async throws {
        throw NotBuiltYet(command: "secrets")
    }
}
