import ArgumentParser

/// The `edgefactor` command: every component of the system, and the admin verbs.
@main
struct EdgeFactor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edgefactor",
        abstract: "Show the right object to a trusted camera: a second authentication factor with the AI at the edge.",
        version: EdgeFactorVersion.description,
        subcommands: [
            DemoCommand.self,
            StorageCommand.self,
            HubCommand.self,
            FrontendCommand.self,
            ModuleCommand.self,
            AgentCommand.self,
            ClassifyCommand.self,
            EnrolCommand.self,
            MatchCommand.self,
            UsersCommand.self,
            SecretsCommand.self,
            CheckCommand.self,
            DeadLettersCommand.self,
        ]
    )
}
