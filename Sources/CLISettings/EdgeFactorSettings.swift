import Configuration
import Foundation

/// The configuration `edgefactor` runs with, read once per command, and the one place the CLI
/// reads its environment. Libraries take these values as parameters; none reads the environment.
///
/// Each value comes from the first of these that has it (see docs/configuration.md):
///
/// 1. the command's own flag (`--storage-connection-string`, …), as ArgumentParser parsed it;
/// 2. its environment variable (`EDGEFACTOR_HOME`, `AZURE_STORAGE_CONNECTION_STRING`, …);
/// 3. the JSON configuration file: `--config`, else `$EDGEFACTOR_CONFIG`, else
///    `$EDGEFACTOR_HOME/edgefactor.json` (home defaults to `./var`) when that file exists;
/// 4. the default, which the command using the value applies (a nil here).
package struct EdgeFactorSettings: Sendable, Equatable {
    /// Where set-up and the built-in services keep their files; nil: `./var`.
    package var home: String?
    /// The storage account's connection string; nil: the built-in storage's development account.
    package var storageConnectionString: String?
    /// A PEM file of a CA to trust for https storage endpoints, besides the system's.
    package var storageCAFile: String?
    /// The IoT hub's service connection string (admin verbs, front-end); nil: the local hub's hub.json.
    package var serviceConnectionString: String?
    /// The identity's (device's or module's) IoT Hub connection string, for the agent and the module.
    package var identityConnectionString: String?
    /// The ONNX Runtime library to load; nil searches `<home>/runtime`, then the system.
    package var runtimeLibrary: String?
    /// The IoT Edge runtime's variables, as the environment has them (`IOTEDGE_*`,
    /// `EdgeHubConnectionString`, `EdgeModuleCACertificateFile`): the module passes them on as
    /// they are. They come from the environment only, never from the file.
    package var iotEdgeEnvironment: [String: String]
    /// The configuration file that was read; nil when there was none.
    package var configFile: String?

    package init(
        home: String? = nil, storageConnectionString: String? = nil, storageCAFile: String? = nil,
        serviceConnectionString: String? = nil, identityConnectionString: String? = nil, runtimeLibrary: String? = nil,
        iotEdgeEnvironment: [String: String] = [:], configFile: String? = nil
    ) {
        self.home = home
        self.storageConnectionString = storageConnectionString
        self.storageCAFile = storageCAFile
        self.serviceConnectionString = serviceConnectionString
        self.identityConnectionString = identityConnectionString
        self.runtimeLibrary = runtimeLibrary
        self.iotEdgeEnvironment = iotEdgeEnvironment
        self.configFile = configFile
    }

    /// `home`, else `./var` (relative to the current directory).
    package var homeDirectory: String { home ?? "var" }

    /// A setting: its key in the configuration file (dotted; nested objects work too) and its
    /// environment variable.
    package enum Key: String, CaseIterable, Sendable {
        case home = "home"
        case storageConnectionString = "storage.connectionString"
        case storageCAFile = "storage.caFile"
        case serviceConnectionString = "hub.serviceConnectionString"
        case identityConnectionString = "hub.identityConnectionString"
        case runtimeLibrary = "vision.runtimeLibrary"

        /// The environment variable that sets it (the names the CLI has always read).
        package var environmentVariable: String {
            switch self {
            case .home: "EDGEFACTOR_HOME"
            case .storageConnectionString: "AZURE_STORAGE_CONNECTION_STRING"
            case .storageCAFile: "EDGEFACTOR_STORAGE_CA_FILE"
            case .serviceConnectionString: "IOTHUB_CONNECTION_STRING"
            case .identityConnectionString: "EDGEFACTOR_HUB_CONNECTION_STRING"
            case .runtimeLibrary: "EDGEFACTOR_ORT_LIBRARY"
            }
        }

        /// Connection strings hold keys: redacted in the configuration's debug output.
        var isSecret: Bool {
            switch self {
            case .storageConnectionString, .serviceConnectionString, .identityConnectionString: true
            case .home, .storageCAFile, .runtimeLibrary: false
            }
        }

        /// Paths, where an empty value means "not set" (as the CLI always treated them); an empty
        /// connection string stays, to be reported as invalid by the command.
        var emptyIsUnset: Bool { !isSecret }
    }

    /// The variable naming the configuration file when `--config` is not given.
    package static let configFileVariable = "EDGEFACTOR_CONFIG"
    /// The configuration file's name inside home, read when it exists.
    package static let defaultConfigFileName = "edgefactor.json"

    /// Reads the settings.
    /// - Parameters:
    ///   - flags: The command's flags that were given, by setting (a flag left out is absent).
    ///   - configFile: `--config`, when given.
    ///   - environment: The process environment (or a test's).
    /// - Throws: ``EdgeFactorSettingsError`` when a named configuration file is missing, when a
    ///   configuration file does not parse, or when one of its values is not a string.
    package static func load(
        flags: [Key: String] = [:], configFile: String? = nil, environment: [String: String]
    ) async throws(EdgeFactorSettingsError) -> EdgeFactorSettings {
        var flagValues: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in flags { flagValues[key.configKey] = ConfigValue(.string(value), isSecret: key.isSecret) }
        let flagProvider = InMemoryProvider(name: "flags", values: flagValues)
        let secretVariables = Set(Key.allCases.filter(\.isSecret).map(\.environmentVariable))
        // The variables keep their historical names, which no naming rule derives from the keys.
        let environmentProvider = KeyMappingProvider(
            upstream: EnvironmentVariablesProvider(environmentVariables: environment, secretsSpecifier: .specific(secretVariables))
        ) { key in
            Key(rawValue: key.components.joined(separator: ".")).map { AbsoluteConfigKey([$0.environmentVariable]) }
                ?? key.prepending(["edgefactor"])
        }

        // Where the file is: --config, else $EDGEFACTOR_CONFIG (both must exist), else home's.
        let early = ConfigReader(providers: [flagProvider, environmentProvider])
        let named = nonEmpty(configFile) ?? nonEmpty(environment[configFileVariable])
        let home = nonEmpty(early.string(forKey: ConfigKey(Key.home.rawValue)))
        let path = named ?? ((home ?? "var") + "/" + defaultConfigFileName)
        let file = try await readFile(path, required: named != nil)

        let reader = ConfigReader(providers: [flagProvider, environmentProvider] + (file.map { [$0] } ?? []))
        func value(_ key: Key) -> String? {
            let text = reader.string(forKey: ConfigKey(key.rawValue), isSecret: key.isSecret)
            return key.emptyIsUnset ? nonEmpty(text) : text
        }
        return EdgeFactorSettings(
            home: value(.home),
            storageConnectionString: value(.storageConnectionString),
            storageCAFile: value(.storageCAFile),
            serviceConnectionString: value(.serviceConnectionString),
            identityConnectionString: value(.identityConnectionString),
            runtimeLibrary: value(.runtimeLibrary),
            iotEdgeEnvironment: environment.filter { name, _ in
                name.hasPrefix("IOTEDGE_") || name == "EdgeHubConnectionString" || name == "EdgeModuleCACertificateFile"
            },
            configFile: file == nil ? nil : path
        )
    }

    /// The file at `path` as a provider; nil when it does not exist and is not `required`.
    private static func readFile(_ path: String, required: Bool) async throws(EdgeFactorSettingsError) -> FileProvider<JSONSnapshot>? {
        guard FileManager.default.fileExists(atPath: path) else {
            if required { throw .missing(path: path) }
            return nil
        }
        let provider: FileProvider<JSONSnapshot>
        do {
            provider = try await FileProvider<JSONSnapshot>(filePath: .init(path))
        } catch {
            throw .unreadable(path: path, reason: describe(error))
        }
        // Every value this file may set must be a string: a number or an object there is a mistake
        // to report, not a value to skip silently.
        for key in Key.allCases {
            do { _ = try provider.value(forKey: key.configKey, type: .string) } catch {
                throw .invalidValue(path: path, key: key.rawValue)
            }
        }
        return provider
    }

    private static func describe(_ error: any Error) -> String {
        let error = error as NSError
        if let detail = error.userInfo[NSDebugDescriptionErrorKey] as? String, !detail.isEmpty {
            return detail
        }
        return error.domain == NSCocoaErrorDomain ? error.localizedDescription : "\(error as any Error)"
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}

extension EdgeFactorSettings.Key {
    var configKey: AbsoluteConfigKey { AbsoluteConfigKey(ConfigKey(rawValue)) }
}

/// A configuration file that cannot be used; the message names the file.
package enum EdgeFactorSettingsError: Error, Equatable, CustomStringConvertible {
    /// `--config` or `$EDGEFACTOR_CONFIG` names a file that does not exist.
    case missing(path: String)
    /// The file exists but cannot be read, or is not a JSON object.
    case unreadable(path: String, reason: String)
    /// A value in the file is not a string.
    case invalidValue(path: String, key: String)

    package var description: String {
        switch self {
        case .missing(let path):
            "no configuration file at \(path) (named by --config or \(EdgeFactorSettings.configFileVariable))"
        case .unreadable(let path, let reason):
            "the configuration file \(path) does not parse as a JSON object: \(reason)"
        case .invalidValue(let path, let key):
            "the configuration file \(path): \(key) must be a string"
        }
    }
}
