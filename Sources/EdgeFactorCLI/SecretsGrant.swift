import ArgumentParser
import AzureStorage
import CLISettings
import Foundation
import FrontEnd
import Verification

/// `edgefactor secrets grant`: the first storage grants of an edge box's module and agent.
struct SecretsGrant: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant",
        abstract: "Issue the storage grants of a device's module and agent (SAS for their own queue and container only).",
        discussion: """
            Run where the storage account key is (the front-end's machine). Creates the device's
            requests queue, dead-letter queue and results container, and writes two grants beside the
            secrets: devices/DEVICE.storage-grant.json (the agent's: take and update requests, add dead
            letters, read and write its results) and modules/DEVICE/MODULE.storage-grant.json (the
            module's: add requests). Copy them to the edge box with the secrets; the agent and the module
            use them instead of the account key, and the front-end renews them (--storage-grant-renewal).
            Every grant of the device is bound to a stored access policy on its queues and container:
            `edgefactor secrets revoke --device DEVICE` removes it, and the box's grants stop at once.
            """
    )

    @Option(help: "The device id.")
    var device: String

    @Option(help: "The module that queues the device's requests.")
    var module = "edgefactor-module"

    @Option(help: "How long the grants last (e.g. 7d); the front-end renews them well before.")
    var lifetime = "7d"

    @Option(help: "Storage connection string with the account key. Default: $AZURE_STORAGE_CONNECTION_STRING, else the built-in storage's development account.")
    var storageConnectionString: String?

    @Option(help: StorageOption.caFileHelp)
    var storageCaFile: String?

    @Option(help: "Folder of the secrets store (default: $EDGEFACTOR_HOME/secrets, else var/secrets).")
    var secretsDir: String?

    @OptionGroup var config: ConfigOption

    func run() async throws {
        let duration = try EdgeConnectionOptions.duration(lifetime, option: "--lifetime")
        guard duration >= .seconds(3600) else { throw ValidationError("--lifetime must be at least 1h") }
        let settings = try await config.settings(StorageOption.flags(connectionString: storageConnectionString, caFile: storageCaFile))
        let account = try Self.account(settings)
        let policy = try await DeviceStorageGrants.prepare(for: device, account: account)
        let grants = try DeviceStorageGrants.issue(for: device, account: account, lifetime: duration, policy: policy)
        let store = SecretsStore(directory: secretsDir, home: settings.home)
        let agent = SecretsStore.Identity(deviceId: device)
        let moduleIdentity = SecretsStore.Identity(deviceId: device, moduleId: module)
        try store.writeGrant(try grants.agent.jsonData(), for: agent)
        try store.writeGrant(try grants.module.jsonData(), for: moduleIdentity)
        let names = DeviceStorageNames(deviceId: device)
        print("agent grant:  \(try store.grantFile(for: agent).path) (queues \(names.requestsQueue), \(names.deadLetterQueue); container \(names.responsesContainer))")
        print("module grant: \(try store.grantFile(for: moduleIdentity).path) (queue \(names.requestsQueue), add only)")
        print("valid until \(grants.agent.expiresOn.formatted(.iso8601)); revocable with `edgefactor secrets revoke --device \(device)` (policy \(policy))")
    }

    /// The storage account, with its key: the option, else $AZURE_STORAGE_CONNECTION_STRING, else
    /// the configuration file's, else the built-in storage's development account.
    static func account(_ settings: EdgeFactorSettings) throws -> StorageConnectionString {
        let account = try StorageOption.resolve(settings)
        guard account.sharedKey != nil else {
            throw ValidationError("the storage connection string has no AccountKey: grants are signed with the account key, so run this where it is")
        }
        return account
    }
}

/// `edgefactor secrets revoke`: stops every storage grant of a device at once.
struct SecretsRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a device's storage grants at once (a lost or stolen edge box), without rotating the account key.",
        discussion: "Removes the grant policy from the device's queues and container. `secrets grant` then issues new grants, bound to a new policy."
    )

    @Option(help: "The device id.")
    var device: String

    @Option(help: "Storage connection string with the account key. Default: $AZURE_STORAGE_CONNECTION_STRING, else the built-in storage's development account.")
    var storageConnectionString: String?

    @Option(help: StorageOption.caFileHelp)
    var storageCaFile: String?

    @OptionGroup var config: ConfigOption

    func run() async throws {
        let settings = try await config.settings(StorageOption.flags(connectionString: storageConnectionString, caFile: storageCaFile))
        let account = try SecretsGrant.account(settings)
        try await DeviceStorageGrants.revoke(for: device, account: account)
        print("revoked every storage grant of \(device); issue new ones with `edgefactor secrets grant --device \(device)`")
    }
}
