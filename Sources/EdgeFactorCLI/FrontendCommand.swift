import ArgumentParser

/// `edgefactor frontend`: run the authentication front-end, or read its audit log.
struct FrontendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frontend",
        abstract: "Run the authentication front-end (password, then an object shown to the user's camera).",
        subcommands: [FrontendServeCommand.self, FrontendAuditCommand.self],
        defaultSubcommand: FrontendServeCommand.self
    )
}
