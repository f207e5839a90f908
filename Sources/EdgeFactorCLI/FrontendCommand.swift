import ArgumentParser

/// `edgefactor frontend`: Run the authentication front-end.
struct FrontendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "frontend", abstract: "Run the authentication front-end.")

    func run() async throws {
        throw NotBuiltYet(command: "frontend")
    }
}
