import ArgumentParser
import CLISettings
import Foundation
import HubService
import IoTHub

/// How the admin verbs reach a hub: `--connection-string` (any IoT hub), else the local hub's
/// hub.json (see ``LocalHub``).
struct HubTarget: ParsableArguments {
    @Option(help: "Service connection string (HostName=..;SharedAccessKeyName=..;SharedAccessKey=..). Default: the local hub's, from hub.json; or $IOTHUB_CONNECTION_STRING.")
    var connectionString: String?

    @Option(help: "PEM file of the CA to trust for the service API (default: the local hub's CA when using hub.json).")
    var caFile: String?

    @Option(help: "Data directory of the local hub (default: $EDGEFACTOR_HOME/hub, else ./var/hub, else /var/lib/edgefactor/hub: the first with a hub.json).")
    var dataDir: String?

    /// `--connection-string`, as a setting.
    var settingFlags: SettingFlags { [.serviceConnectionString: connectionString] }

    func serviceClient(_ settings: EdgeFactorSettings) throws -> ServiceClient {
        try Self.serviceClient(settings, caFile: caFile, dataDir: dataDir)
    }

    /// A service client from the settings' service connection string (the command's option, else
    /// `$IOTHUB_CONNECTION_STRING`, else the configuration file's), else from the local hub's
    /// hub.json; shared by the admin verbs and the front-end.
    static func serviceClient(
        _ settings: EdgeFactorSettings, caFile: String?, dataDir: String?,
        dataDirOption: String = "--data-dir", connectionOption: String = "--connection-string"
    ) throws -> ServiceClient {
        var text = settings.serviceConnectionString
        var options = ServiceClientOptions()
        var caPath = caFile
        if text == nil {
            let description = try LocalHub.description(dataDir: dataDir, home: settings.home, option: dataDirOption, connectionOption: connectionOption)
            text = description.serviceConnectionString
            caPath = caPath ?? description.caCertificateFile
            if description.restScheme == "http" {
                options.baseURL = URL(string: "http://\(description.bindHost):\(description.restPort)")
            }
        }
        if let caPath {
            guard let pem = try? String(contentsOfFile: caPath, encoding: .utf8) else {
                throw ValidationError("cannot read the CA file \(caPath)")
            }
            options.trustRootsPEM = pem
        }
        do {
            return ServiceClient(connectionString: try IoTHubConnectionString(text ?? ""), options: options)
        } catch {
            throw ValidationError("invalid service connection string: \(error)")
        }
    }
}

/// `edgefactor hub devices add|list|remove`.
struct HubDevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "Register, list and remove devices.",
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a device (symmetric keys generated) and print its connection string.")
        @Argument(help: "Device id.") var deviceId: String
        @OptionGroup var output: ConnectionStringOutput
        @OptionGroup var target: HubTarget
        @OptionGroup var config: ConfigOption

        func run() async throws {
            let settings = try await config.settings(target.settingFlags)
            let service = try target.serviceClient(settings)
            let device = try await service.createDevice(deviceId)
            guard let connectionString = service.connectionString(for: device, gatewayHostName: output.gatewayHostName) else {
                throw ValidationError("the hub returned no key for \(deviceId)")
            }
            print(output.finish(connectionString, target: target, settings: settings).stringValue)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List devices with their status and connection state.")
        @Flag(help: "One JSON object per line (deviceId, status, connectionState, lastActivityTime; never the keys).") var json = false
        @OptionGroup var target: HubTarget
        @OptionGroup var config: ConfigOption

        func run() async throws {
            let settings = try await config.settings(target.settingFlags)
            let devices = try await target.serviceClient(settings).listDevices()
            for device in devices {
                if json {
                    print(try JSONArgument.text(IdentityLine(device), compact: true))
                } else {
                    print([device.deviceId, device.status ?? "-", device.connectionState ?? "-"].joined(separator: "\t"))
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a device and its modules (its connections are closed).")
        @Argument(help: "Device id.") var deviceId: String
        @OptionGroup var target: HubTarget
        @OptionGroup var config: ConfigOption

        func run() async throws {
            let settings = try await config.settings(target.settingFlags)
            try await target.serviceClient(settings).deleteDevice(deviceId)
        }
    }
}

/// `edgefactor hub modules add|list|remove`.
struct HubModulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modules", abstract: "Register, list and remove modules of a device.",
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a module (the device must exist) and print its connection string.")
        @Argument(help: "Device id.") var deviceId: String
        @Argument(help: "Module id.") var moduleId: String
        @OptionGroup var output: ConnectionStringOutput
        @OptionGroup var target: HubTarget
        @OptionGroup var config: ConfigOption

        func run() async throws {
            let settings = try await config.settings(target.settingFlags)
            let service = try target.serviceClient(settings)
            let module = try await service.createModule(deviceId: deviceId, moduleId: moduleId)
            guard let connectionString = service.connectionString(for: module, gatewayHostName: output.gatewayHostName) else {
                throw ValidationError("the hub returned no key for \(deviceId)/\(moduleId)")
            }
            print(output.finish(connectionString, target: target, settings: settings).stringValue)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a device's modules with their connection state.")
        @Argument(help: "Device id.") var deviceId: String
        @Flag(help: "One JSON object per line (deviceId, moduleId, connectionState, lastActivityTime; never the keys).") var json = false
        @OptionGroup var target: HubTarget
        @OptionGroup var config: ConfigOption

        func run() async throws {
            let settings = try await config.settings(target.settingFlags)
            for module in try await target.serviceClient(settings).listModules(deviceId: deviceId) {
                if json {
                    print(try JSONArgument.text(IdentityLine(module), compact: true))
                } else {
                    print([module.moduleId, module.connectionState ?? "-"].joined(separator: "\t"))
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a module (its connection is closed).")
        @Argument(help: "Device id.") var deviceId: String
        @Argument(help: "Module id.") var moduleId: String
        @OptionGroup var target: HubTarget
        @OptionGroup var config: ConfigOption

        func run() async throws {
            let settings = try await config.settings(target.settingFlags)
            try await target.serviceClient(settings).deleteModule(deviceId: deviceId, moduleId: moduleId)
        }
    }
}

/// `edgefactor hub connection-string DEVICE [MODULE]`.
struct HubConnectionStringCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connection-string",
        abstract: "Print the connection string of a device or module (or, with --service, of the service policy)."
    )

    @Argument(help: "Device id.") var deviceId: String?
    @Argument(help: "Module id.") var moduleId: String?
    @Flag(help: "Print the service connection string instead.") var service = false
    @OptionGroup var output: ConnectionStringOutput
    @OptionGroup var target: HubTarget
    @OptionGroup var config: ConfigOption

    func validate() throws {
        guard service || deviceId != nil else { throw ValidationError("give a device id (and a module id), or --service.") }
    }

    func run() async throws {
        let settings = try await config.settings(target.settingFlags)
        let client = try target.serviceClient(settings)
        if service {
            print(client.connectionString.stringValue)
            return
        }
        guard let deviceId else { return }
        let connectionString: IoTHubConnectionString?
        if let moduleId {
            connectionString = client.connectionString(for: try await client.getModule(deviceId: deviceId, moduleId: moduleId), gatewayHostName: output.gatewayHostName)
        } else {
            connectionString = client.connectionString(for: try await client.getDevice(deviceId), gatewayHostName: output.gatewayHostName)
        }
        guard let connectionString else { throw ValidationError("the identity has no symmetric key") }
        print(output.finish(connectionString, target: target, settings: settings).stringValue)
    }
}
