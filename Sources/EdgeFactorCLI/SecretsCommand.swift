import ArgumentParser
import CLISettings
import Foundation
import Verification

/// `edgefactor secrets`: provision the per-device and per-module secrets.
struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Provision the per-device and per-module secrets.",
        discussion: """
            A device secret is shared by the front-end and the device's agent: the front-end seals
            requests with it and the agent seals results. A module secret is shared by an edge module
            and the agent of the same device: the module seals every queue message with it. Secrets are
            256 random bits, stored one per file with owner-only permissions; only HMACs ever travel.
            To provision another machine, run `show --reveal` here and `import` there over a secure
            channel.
            """,
        subcommands: [SecretsNew.self, SecretsList.self, SecretsShow.self, SecretsImport.self, SecretsDelete.self, SecretsGrant.self, SecretsRevoke.self]
    )
}

/// The options every secrets verb shares.
struct SecretsTarget: ParsableArguments {
    @Option(help: "The device id.")
    var device: String

    @Option(help: "The module id (for a module secret; omit for the device secret).")
    var module: String?

    @Option(help: "Folder of the secrets store (default: $EDGEFACTOR_HOME/secrets, else var/secrets).")
    var secretsDir: String?

    /// `--secrets-dir`, else the settings' home's `secrets`.
    func store(_ settings: EdgeFactorSettings) -> SecretsStore { SecretsStore(directory: secretsDir, home: settings.home) }
    var identity: SecretsStore.Identity { .init(deviceId: device, moduleId: module) }
}

struct SecretsNew: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "new", abstract: "Create a secret (refuses to replace one unless --rotate).")

    @OptionGroup var target: SecretsTarget
    @OptionGroup var config: ConfigOption

    @Flag(help: "Replace an existing secret; every holder must then get the new one.")
    var rotate = false

    func run() async throws {
        let store = target.store(try await config.settings())
        if try store.exists(target.identity), !rotate {
            throw SecretsError("a secret for \(target.identity) already exists: pass --rotate to replace it (then re-provision every holder)")
        }
        let secret = SharedSecret.generate()
        try store.write(secret, for: target.identity)
        print("created \(target.identity) secret \(secret.fingerprint) at \(try store.file(for: target.identity).path)")
    }
}

struct SecretsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List stored secrets by fingerprint (never the secret).")

    @Option(help: "Folder of the secrets store (default: $EDGEFACTOR_HOME/secrets, else var/secrets).")
    var secretsDir: String?

    @OptionGroup var config: ConfigOption

    func run() async throws {
        let store = SecretsStore(directory: secretsDir, home: try await config.settings().home)
        let entries = store.list()
        if entries.isEmpty {
            print("no secrets in \(store.root.path): create one with `edgefactor secrets new --device ID [--module ID]`")
            return
        }
        for entry in entries {
            let fingerprint = (try? SharedSecret(contentsOf: entry.file).fingerprint) ?? "unreadable"
            print("\(entry.identity.description.padding(toLength: 48, withPad: " ", startingAt: 0)) \(fingerprint)  key id \(entry.identity.keyId)")
        }
    }
}

struct SecretsShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a secret's fingerprint, or with --reveal the secret itself.")

    @OptionGroup var target: SecretsTarget
    @OptionGroup var config: ConfigOption

    @Flag(help: "Print the base64 secret (to copy it to another machine over a secure channel).")
    var reveal = false

    func run() async throws {
        let secret = try target.store(try await config.settings()).read(target.identity)
        print(reveal ? secret.base64 : secret.fingerprint)
    }
}

struct SecretsImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Store a secret made elsewhere (base64 read from standard input).")

    @OptionGroup var target: SecretsTarget
    @OptionGroup var config: ConfigOption

    @Flag(help: "Replace an existing secret.")
    var rotate = false

    func run() async throws {
        let store = target.store(try await config.settings())
        if try store.exists(target.identity), !rotate {
            throw SecretsError("a secret for \(target.identity) already exists: pass --rotate to replace it")
        }
        let input = FileHandle.standardInput.readDataToEndOfFile().prefix(4096)
        let secret = try SharedSecret(base64: String(decoding: input, as: UTF8.self))
        try store.write(secret, for: target.identity)
        print("imported \(target.identity) secret \(secret.fingerprint)")
    }
}

struct SecretsDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a secret.")

    @OptionGroup var target: SecretsTarget
    @OptionGroup var config: ConfigOption

    func run() async throws {
        try target.store(try await config.settings()).delete(target.identity)
        print("deleted \(target.identity) secret")
    }
}
