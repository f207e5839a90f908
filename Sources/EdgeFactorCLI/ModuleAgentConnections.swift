import ArgumentParser
import AzureStorage
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

    @Option(help: "The edge module's id.")
    var moduleId = "edgefactor-module"

    @Option(help: "The identity's IoT Hub connection string (HostName=…;DeviceId=…[;ModuleId=…];SharedAccessKey=…). Default: $EDGEFACTOR_HUB_CONNECTION_STRING, else the built-in hub.")
    var hubConnectionString: String?

    @Option(help: "PEM file of the CA that signed the hub's certificate (default: the system's trust store; the built-in hub's CA when using it).")
    var hubCaFile: String?

    @Option(help: "Data directory of the built-in hub, to find hub.json (default: $EDGEFACTOR_HOME/hub, else ./var/hub).")
    var hubDataDir: String?

    @Option(help: "Storage connection string. Default: $AZURE_STORAGE_CONNECTION_STRING, else the built-in storage (UseDevelopmentStorage=true).")
    var storageConnectionString: String?

    @Option(help: "Folder of the secrets store (default: $EDGEFACTOR_HOME/secrets, else var/secrets).")
    var secretsDir: String?

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    func storage() throws -> StorageConnectionString {
        guard let text = storageConnectionString ?? environment["AZURE_STORAGE_CONNECTION_STRING"] else { return .development }
        do { return try StorageConnectionString(text) } catch {
            throw ValidationError("invalid storage connection string: \(error)")
        }
    }

    var secrets: SecretsStore { SecretsStore(directory: secretsDir) }

    /// The hub identity and client options for `deviceId` (and `moduleId` when `module` is set).
    func hub(module: Bool) async throws -> (IoTHubConnectionString, HubClientOptions) {
        var options = HubClientOptions()
        if let hubCaFile { options.trustRootsPEM = try Self.readPEM(hubCaFile) }
        if let text = hubConnectionString ?? environment["EDGEFACTOR_HUB_CONNECTION_STRING"] {
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
        let directory = hubDataDir.map { URL(fileURLWithPath: $0) } ?? HubConfiguration.defaultDataDirectory
        let description: HubDescription
        do { description = try HubDescription.read(from: directory) } catch {
            throw ValidationError("no hub connection string and no built-in hub: \(error). Pass --hub-connection-string for Azure IoT Hub.")
        }
        var serviceOptions = ServiceClientOptions(trustRootsPEM: try Self.readPEM(description.caCertificateFile))
        if description.restScheme == "http" {
            serviceOptions.baseURL = URL(string: "http://\(description.bindHost):\(description.restPort)")
        } else if description.hostName == "localhost" {
            serviceOptions.baseURL = URL(string: "https://localhost:\(description.restPort)")
        }
        let service = ServiceClient(connectionString: try IoTHubConnectionString(description.serviceConnectionString), options: serviceOptions)
        let found: IoTHubConnectionString?
        if module {
            if (try? await service.getDevice(deviceId)) == nil { _ = try await service.createDevice(deviceId) }
            var identity = try? await service.getModule(deviceId: deviceId, moduleId: moduleId)
            if identity == nil { identity = try await service.createModule(deviceId: deviceId, moduleId: moduleId) }
            found = identity.flatMap { service.connectionString(for: $0) }
        } else {
            var identity = try? await service.getDevice(deviceId)
            if identity == nil { identity = try await service.createDevice(deviceId) }
            found = identity.flatMap { service.connectionString(for: $0) }
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

    static func readPEM(_ path: String) throws -> String {
        guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("cannot read the CA file \(path)")
        }
        return pem
    }

    /// Parses `120ms`, `2s`, `1m` or a plain number of seconds.
    static func duration(_ text: String, option: String) throws -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let (number, unit): (String, Double) =
            trimmed.hasSuffix("ms") ? (String(trimmed.dropLast(2)), 0.001)
            : trimmed.hasSuffix("s") ? (String(trimmed.dropLast()), 1)
            : trimmed.hasSuffix("m") ? (String(trimmed.dropLast()), 60)
            : (trimmed, 1)
        guard let value = Double(number), value.isFinite, value >= 0 else {
            throw ValidationError("\(option): '\(text)' is not a duration (examples: 250ms, 30s, 2m)")
        }
        return .milliseconds(Int((value * unit * 1000).rounded()))
    }
}
