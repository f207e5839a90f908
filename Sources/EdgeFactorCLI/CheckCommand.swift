import ArgumentParser
import DeviceAgent
import EdgeModule
import Foundation
import FrontEnd
import Logging
import Verification
import Vision

/// `edgefactor check`: one line per thing a part of the system needs, with a fix for each failure,
/// as `iotedge check` does for IoT Edge.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check what the agent, the module or the front-end needs, with a fix for each failure.",
        discussion: """
            Each subcommand takes the options of the command it checks and prints one line per
            check; it exits 1 when any fails. The agent's and the module's hub checks connect as
            the device or module for a moment: a running agent or module reconnects by itself.
            Secrets are compared by fingerprint only: the agent and the module report theirs in
            their twins, and `check frontend` compares them with the front-end's.
            """,
        subcommands: [CheckAgent.self, CheckModule.self, CheckFrontend.self]
    )

    /// Prints the checks and fails when any did.
    static func report(_ checks: [SystemCheck]) throws {
        for check in checks { print(check) }
        let failed = checks.filter { !$0.passed }.count
        print(failed == 0 ? "all \(checks.count) checks passed" : "\(failed) of \(checks.count) checks failed")
        if failed > 0 { throw ExitCode(1) }
    }

    /// A configuration that cannot even be built is one failed check.
    static func configurationFailure(_ error: any Error, part: String) throws -> Never {
        try report([.fail("configuration", "\(error)", fix: "fix the \(part)'s options, secrets or environment as the message says")])
        throw ExitCode(1)
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "edgefactor.check")
        logger.logLevel = .critical
        return logger
    }
}

struct CheckAgent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agent", abstract: "Check the device agent: model, templates, camera, storage, hub, clock.")

    @OptionGroup var agent: AgentCommand

    func run() async throws {
        let built: (DeviceAgentConfiguration, ImageClassifier?)
        do { built = try await agent.configuration(logger: CheckCommand.quietLogger) } catch {
            try CheckCommand.configurationFailure(error, part: "agent")
        }
        try CheckCommand.report(await AgentCheck.run(built.0, classifier: built.1))
    }
}

struct CheckModule: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "module", abstract: "Check the edge module: storage, clock, hub.")

    @OptionGroup var module: ModuleCommand

    func run() async throws {
        let built: EdgeModuleConfiguration
        do { built = try await module.configuration(logger: CheckCommand.quietLogger) } catch {
            try CheckCommand.configurationFailure(error, part: "module")
        }
        try CheckCommand.report(await ModuleCheck.run(built))
    }
}

struct CheckFrontend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "frontend", abstract: "Check the front-end: every account's device (secret, hub, the agent's and module's secrets), storage, clock.")

    @OptionGroup var store: FrontendDatabaseOptions
    @OptionGroup var devices: DeviceReachOptions
    @OptionGroup var config: ConfigOption

    func run() async throws {
        let checks: [SystemCheck]
        do {
            let settings = try await config.settings(devices.settingFlags)
            let database = try store.open(settings)
            let boxes = try await UserStore(database: database).devices()
            let hub = try HubTarget.serviceClient(settings, caFile: devices.hubCaFile, dataDir: devices.hubDataDir)
            checks = await FrontEndCheck.run(hub: hub, storage: try devices.storage(settings), secrets: devices.secrets(settings), devices: boxes)
        } catch {
            try CheckCommand.configurationFailure(error, part: "front-end")
        }
        try CheckCommand.report(checks)
    }
}
