import ArgumentParser
import AzureStorage
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

    @Option(help: "Folder of the secrets store (default: $EDGEFACTOR_HOME/secrets, else var/secrets).")
    var secretsDir: String?

    func run() async throws {
        let duration = try EdgeConnectionOptions.duration(lifetime, option: "--lifetime")
        guard duration >= .seconds(3600) else { throw ValidationError("--lifetime must be at least 1h") }
        let account: StorageConnectionString
        if let text = storageConnectionString ?? ProcessInfo.processInfo.environment["AZURE_STORAGE_CONNECTION_STRING"] {
            do { account = try StorageConnectionString(text) } catch { throw ValidationError("invalid storage connection string: \(error)") }
        } else {
            account = .development
        }
        guard account.sharedKey != nil else {
            throw ValidationError("the storage connection string has no AccountKey: grants are signed with the account key, so run this where it is")
        }
        try await DeviceStorageGrants.prepare(for: device, account: account)
        let grants = try DeviceStorageGrants.issue(for: device, account: account, lifetime: duration)
        let store = SecretsStore(directory: secretsDir)
        let agent = SecretsStore.Identity(deviceId: device)
        let moduleIdentity = SecretsStore.Identity(deviceId: device, moduleId: module)
        try store.writeGrant(try grants.agent.jsonData(), for: agent)
        try store.writeGrant(try grants.module.jsonData(), for: moduleIdentity)
        let names = DeviceStorageNames(deviceId: device)
        print("agent grant:  \(try store.grantFile(for: agent).path) (queues \(names.requestsQueue), \(names.deadLetterQueue); container \(names.responsesContainer))")
        print("module grant: \(try store.grantFile(for: moduleIdentity).path) (queue \(names.requestsQueue), add only)")
        print("valid until \(grants.agent.expiresOn.formatted(.iso8601))")
    }
}
