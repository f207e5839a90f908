import ArgumentParser

/// `edgefactor demo`: Run the whole system in one process on the built-in services.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Run the whole system in one process on the built-in services.")

    func run() async throws {
        throw NotBuiltYet(command: "demo")
    }
}
