import ArgumentParser

/// `edgefactor users`: Manage front-end accounts and their enrolled object classes.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "users", abstract: "Manage front-end accounts and their enrolled object classes.")

    func run() async throws {
        throw NotBuiltYet(command: "users")
    }
}
