import ArgumentParser
import AzureStorage
import CLISettings
import Foundation
import HubService
import IoTHub
import Verification

/// How `edgefactor module` and `edgefactor agent` find the hub, the storage account and the shared
/// secrets. With no flags and no environment they use the built-in services on this machine: the
/// hub described by `$EDGEFACTOR_HOME/hub/hub.json` (its identity is looked up, or registered, with
/// the hub's service key) and the built-in storage's development account.
struct EdgeConnectionOptions: ParsableArguments {
    @Option(help: "The device id (used with the built-in hub and for the secrets store).")
    var deviceId = "edgefactor-device"

    @Option(help: "The identity's IoT Hub connection string (HostName=…;DeviceId=…[;ModuleId=…];SharedAccessKey=…). Default: $EDGEFACTOR_HUB_CONNECTION_STRING, else the built-in hub.")
    var hubConnectionString: String?

    @Option(help: "File holding the identity's IoT Hub connection string, instead of --hub-connection-string (e.g. in the secrets folder, so the key stays out of environment variables and deployment manifests).")
    var hubConnectionStringFile: String?

    @Option(help: "PEM file of the CA that signed the hub's certificate (default: the system's trust store; the built-in hub's CA when using it).")
    var hubCaFile: String?

    @Option(help: "Data directory of the built-in hub, to find hub.json (default: $EDGEFACTOR_HOME/hub, else ./var/hub, else /var/lib/edgefactor/hub: the first with a hub.json).")
    var hubDataDir: String?

    @Option(help: "Storage connection string. Default: $AZURE_STORAGE_CONNECTION_STRING, else the built-in storage (UseDevelopmentStorage=true).")
    var storageConnectionString: String?

    @Option(help: StorageOption.caFileHelp)
    var storageCaFile: String?

    @Option(help: "Folder of the secrets store (default: $EDGEFACTOR_HOME/secrets, else var/secrets).")
    var secretsDir: String?

    @Option(help: "The storage grant to use instead of the account key (default: the secrets store's, when `edgefactor secrets grant` wrote one and no connection string is given). Renewals are saved to it.")
    var storageGrant: String?

    /// `--hub-connection-string`, `--storage-connection-string` and `--storage-ca-file`, as settings.
    var settingFlags: SettingFlags {
        StorageOption.flags(connectionString: storageConnectionString, caFile: storageCaFile)
            .merging([.identityConnectionString: hubConnectionString]) { option, _ in option }
    }

    func storage(_ settings: EdgeFactorSettings) throws -> StorageConnectionString { try StorageOption.resolve(settings) }

    /// `--secrets-dir`, else the settings' home's `secrets`.
    func secrets(_ settings: EdgeFactorSettings) -> SecretsStore { SecretsStore(directory: secretsDir, home: settings.home) }

    /// How `identity` reaches storage: `--storage-grant`; else a connection string (the option,
    /// $AZURE_STORAGE_CONNECTION_STRING or the configuration file's); else the grant in the secrets
    /// store, if there is one; else the built-in storage's development account. Returns the grant's
    /// file, where renewals go.
    func storageAccess(for identity: SecretsStore.Identity, settings: EdgeFactorSettings) throws -> (access: StorageAccess, grantFile: URL?) {
        try StorageOption.trust(settings)
        var file = storageGrant.map { URL(fileURLWithPath: $0) }
        if file == nil, settings.storageConnectionString == nil {
            let stored = try secrets(settings).grantFile(for: identity)
            if FileManager.default.fileExists(atPath: stored.path) { file = stored }
        }
        guard let file else { return (.account(try storage(settings)), nil) }
        do {
            return (try RenewableStorageAccess.load(grantFile: file).current, file)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The hub identity and client options for `deviceId`, or for its module `moduleId` when one
    /// is given (the module; the agent connects as the device and passes nil).
    /// The connection string: `--hub-connection-string`, else `--hub-connection-string-file`,
    /// else `$EDGEFACTOR_HUB_CONNECTION_STRING`, else the configuration file's.
    func hub(moduleId: String?, settings: EdgeFactorSettings) async throws -> (IoTHubConnectionString, HubClientOptions) {
        let module = moduleId != nil
        var options = HubClientOptions()
        if let hubCaFile { options.trustRootsPEM = try Self.readPEM(hubCaFile) }
        if let text = try hubConnectionString ?? connectionStringFromFile() ?? settings.identityConnectionString {
            let connectionString: IoTHubConnectionString
            do { connectionString = try IoTHubConnectionString(text) } catch {
                throw ValidationError("invalid hub connection string: \(error)")
            }
            guard connectionString.deviceId != nil, (connectionString.moduleId != nil) == module else {
                throw ValidationError(module
                    ? "the module needs a module connection string (with DeviceId and ModuleId)"
                    : "the agent needs a device connection string (with DeviceId and no ModuleId)")
            }
            return (connectionString, options)
        }
        // The built-in hub: look the identity up (registering it if new) through its service API.
        let description = try LocalHub.description(dataDir: hubDataDir, home: settings.home, option: "--hub-data-dir", connectionOption: "--hub-connection-string")
        var serviceOptions = ServiceClientOptions(trustRootsPEM: try Self.readPEM(description.caCertificateFile))
        if description.restScheme == "http" {
            serviceOptions.baseURL = URL(string: "http://\(description.bindHost):\(description.restPort)")
        } else if description.hostName == "localhost" {
            serviceOptions.baseURL = URL(string: "https://localhost:\(description.restPort)")
        }
        let service = ServiceClient(connectionString: try IoTHubConnectionString(description.serviceConnectionString), options: serviceOptions)
        // Module and agent may start together: whoever creates an identity second gets 409 and reads it.
        let found: IoTHubConnectionString?
        do {
            let device: DeviceIdentity
            do { device = try await service.getDevice(deviceId) } catch where error.status == 404 {
                do { device = try await service.createDevice(deviceId) } catch where error.status == 409 {
                    device = try await service.getDevice(deviceId)
                }
            }
            if let moduleId {
                let identity: ModuleIdentity
                do { identity = try await service.getModule(deviceId: deviceId, moduleId: moduleId) } catch where error.status == 404 {
                    do { identity = try await service.createModule(deviceId: deviceId, moduleId: moduleId) } catch where error.status == 409 {
                        identity = try await service.getModule(deviceId: deviceId, moduleId: moduleId)
                    }
                }
                found = service.connectionString(for: identity)
            } else {
                found = service.connectionString(for: device)
            }
        } catch {
            throw ValidationError("cannot look up \(deviceId) on the built-in hub: \(error)")
        }
        guard let connectionString = found else { throw ValidationError("the built-in hub returned no key for \(deviceId)") }
        if options.trustRootsPEM == nil { options.trustRootsPEM = try Self.readPEM(description.caCertificateFile) }
        options.port = description.mqttTLSPort
        if let plain = description.mqttPlainPort, description.mqttTLSPort == nil {
            options.transport = .plainTCPLoopbackDevelopment
            options.port = plain
        }
        return (connectionString, options)
    }

    /// Whether a connection string was given (option, file, `$EDGEFACTOR_HUB_CONNECTION_STRING` or
    /// the configuration file).
    func hasHubConnectionString(_ settings: EdgeFactorSettings) -> Bool {
        hubConnectionStringFile != nil || settings.identityConnectionString != nil
    }

    /// The text of `--hub-connection-string-file`, trimmed; nil without the option.
    private func connectionStringFromFile() throws -> String? {
        guard let hubConnectionStringFile else { return nil }
        guard let text = try? String(contentsOfFile: hubConnectionStringFile, encoding: .utf8) else {
            let exists = FileManager.default.fileExists(atPath: hubConnectionStringFile)
            throw ValidationError(exists
                ? "the hub connection string file \(hubConnectionStringFile) is not readable by user \(ProcessInfo.processInfo.userName); give that user read access"
                : "no hub connection string file at \(hubConnectionStringFile); write the identity's connection string there (`edgefactor hub connection-string DEVICE [MODULE]`)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func readPEM(_ path: String) throws -> String {
        guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("cannot read the CA file \(path)")
        }
        return pem
    }

    /// Parses `120ms`, `2s`, `1m`, `6h`, `7d` or a plain number of seconds (at most ten years).
    static func duration(_ text: String, option: String) throws -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        let match = units.first { trimmed.hasSuffix($0.suffix) }
        let number = match.map { String(trimmed.dropLast($0.suffix.count)) } ?? trimmed
        let unit = match?.seconds ?? 1
        guard let value = Double(number), value.isFinite, value >= 0, value * unit <= 10 * 365 * 86400 else {
            throw ValidationError("\(option): '\(text)' is not a duration of at most ten years (examples: 250ms, 30s, 2m, 6h, 7d)")
        }
        return .milliseconds(Int((value * unit * 1000).rounded()))
    }
}
