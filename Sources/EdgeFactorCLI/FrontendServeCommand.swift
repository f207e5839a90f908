import ArgumentParser

/// `edgefactor frontend [serve]`: the web server.
struct FrontendServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the sign-in pages (the default).")

    func run() async throws {
        throw NotBuiltYet(command: "frontend")
    }
}
