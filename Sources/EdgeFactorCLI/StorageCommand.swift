import ArgumentParser

/// `edgefactor storage`: Run the built-in storage service (Azure Blob and Queue REST).
struct StorageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "storage", abstract: "Run the built-in storage service (Azure Blob and Queue REST).")

    func run() async throws {
        throw NotBuiltYet(command: "storage")
    }
}
