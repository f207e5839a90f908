import ArgumentParser

/// `edgefactor module`: Run the edge module that accepts ProcessRequest and queues verification requests.
struct ModuleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "module", abstract: "Run the edge module that accepts ProcessRequest and queues verification requests.")

    func run() async throws {
        throw NotBuiltYet(command: "module")
    }
}
