import ArgumentParser
import AzureStorage
import CLISettings
import Foundation
import FrontEnd
import Logging
import Verification

/// How the front-end and the administrator's commands reach the devices: the hub's service API,
/// the storage holding results, and the shared secrets.
struct DeviceReachOptions: ParsableArguments {
    @Option(help: "IoT hub service connection string (policy with 'service connect'). Default: the local hub's, from hub.json; or $IOTHUB_CONNECTION_STRING.")
    var hubConnectionString: String?

    @Option(help: "PEM file of the CA to trust for the hub's service API (default: the local hub's CA).")
    var hubCaFile: String?

    @Option(help: "Data directory of the local hub (default: $EDGEFACTOR_HOME/hub, else ./var/hub, else /var/lib/edgefactor/hub: the first with a hub.json).")
    var hubDataDir: String?

    @Option(help: "Storage connection string. Default: $AZURE_STORAGE_CONNECTION_STRING, else the built-in storage's development account.")
    var storageConnectionString: String?

    @Option(help: StorageOption.caFileHelp)
    var storageCaFile: String?

    @Option(help: "One container all devices write results to (default: each device its own, results-<device>).")
    var container: String?

    @Option(help: "Directory of the shared secrets (default: $EDGEFACTOR_HOME/secrets, else ./var/secrets).")
    var secretsDir: String?

    func validate() throws {
        if let container, !AgentSettings.isValidStorageName(container) {
            throw ValidationError("--container must be 3–63 lowercase letters, digits and single hyphens (got \(container.prefix(63))).")
        }
    }

    /// `--hub-connection-string`, `--storage-connection-string` and `--storage-ca-file`, as settings.
    var settingFlags: SettingFlags {
        StorageOption.flags(connectionString: storageConnectionString, caFile: storageCaFile)
            .merging([.serviceConnectionString: hubConnectionString]) { option, _ in option }
    }

    /// The storage account: the option, else $AZURE_STORAGE_CONNECTION_STRING, else the
    /// configuration file's, else the built-in storage's development account.
    func storage(_ settings: EdgeFactorSettings) throws -> StorageConnectionString { try StorageOption.resolve(settings) }

    /// The hub's service API and the results container, as the front-end reaches them.
    func backend(_ settings: EdgeFactorSettings) throws -> AzureVerificationBackend {
        let hub = try HubTarget.serviceClient(settings, caFile: hubCaFile, dataDir: hubDataDir, dataDirOption: "--hub-data-dir", connectionOption: "--hub-connection-string")
        let storage = try storage(settings)
        guard let container else { return AzureVerificationBackend(hub: hub, storage: storage) }
        return AzureVerificationBackend(hub: hub, container: BlobContainerClient(connectionString: storage, containerName: container), storage: storage)
    }

    /// `--secrets-dir`, else the settings' home's `secrets`.
    func secrets(_ settings: EdgeFactorSettings) -> Verification.SecretsStore {
        Verification.SecretsStore(directory: secretsDir, home: settings.home)
    }

    /// The enroller the front-end uses, over these connections.
    func enroller(_ config: EdgeFactorSettings, objects: ObjectStore, settings: ObjectSettings = ObjectSettings()) throws -> ObjectEnroller {
        let backend = try backend(config)
        var logger = Logger(label: "edgefactor.users")
        logger.logLevel = .warning
        return ObjectEnroller(backend: backend, secrets: secrets(config), objects: objects, settings: settings, logger: logger)
    }
}
