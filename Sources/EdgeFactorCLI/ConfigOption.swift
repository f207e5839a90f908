import ArgumentParser
import CLISettings
import Foundation
import Vision

/// The flags of a command that set a setting: the given ones win over the variables and the file.
typealias SettingFlags = [EdgeFactorSettings.Key: String?]

/// `--config`, on every command that reads settings, and the one reading of the settings (and of
/// the process environment) per command: libraries get the values from here.
struct ConfigOption: ParsableArguments {
    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "JSON configuration file (default: $EDGEFACTOR_CONFIG, else $EDGEFACTOR_HOME/edgefactor.json when it exists). Flags and environment variables win over it; see docs/configuration.md.",
            valueName: "file"
        )
    )
    var configFile: String?

    /// The settings of this command: the given `flags`, then the environment, then the file.
    /// Also tells Vision where set-up put ONNX Runtime and the models.
    func settings(_ flags: SettingFlags...) async throws -> EdgeFactorSettings {
        var given: [EdgeFactorSettings.Key: String] = [:]
        for group in flags {
            for case let (key, value?) in group { given[key] = value }
        }
        // The error names the file; thrown as it is, so that it is not followed by the usage.
        let settings = try await EdgeFactorSettings.load(flags: given, configFile: configFile, environment: ProcessInfo.processInfo.environment)
        VisionPaths.current = VisionPaths(home: settings.home, runtimeLibrary: settings.runtimeLibrary)
        return settings
    }
}
