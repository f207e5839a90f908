public import Foundation
import PrivateFiles

/// Where the shared secrets live on a machine, one base64 file each, readable by the owner only
/// (files 0600, folders 0700):
///
///     <root>/devices/<deviceId>.secret              front-end ↔ agent (requests and results)
///     <root>/modules/<deviceId>/<moduleId>.secret   module ↔ agent (queue messages)
///
/// and, beside each, the storage grant of that identity when it has one
/// (`<deviceId>.storage-grant.json`, `<moduleId>.storage-grant.json`): its SAS for its own
/// queue and container, written by `edgefactor storage grant` and replaced by each renewal.
///
/// The front-end, the module, the agent, the demo and `edgefactor secrets` all use this one layout.
public struct SecretsStore: Sendable {
    public let root: URL

    /// The store at `directory`, else `<home>/secrets`, else `var/secrets` (the caller says where
    /// home is: the CLI's EDGEFACTOR_HOME; nothing here reads the environment).
    public init(directory: String? = nil, home: String? = nil) {
        if let directory {
            root = URL(fileURLWithPath: directory, isDirectory: true)
        } else if let home, !home.isEmpty {
            root = URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent("secrets", isDirectory: true)
        } else {
            root = URL(fileURLWithPath: "var/secrets", isDirectory: true)
        }
    }

    /// Whose secret: a device's, or one of its modules'.
    public struct Identity: Sendable, Hashable, CustomStringConvertible {
        public var deviceId: String
        public var moduleId: String?
        public init(deviceId: String, moduleId: String? = nil) {
            self.deviceId = deviceId
            self.moduleId = moduleId
        }
        public var description: String { moduleId.map { "module \(deviceId)/\($0)" } ?? "device \(deviceId)" }
        /// The envelope key id this secret signs under: the module id for module secrets, the
        /// device id for device secrets.
        public var keyId: String { moduleId ?? deviceId }
        /// The `edgefactor secrets` flags that name this identity.
        public var flags: String { "--device \(deviceId)" + (moduleId.map { " --module \($0)" } ?? "") }
    }

    /// The file that holds `identity`'s secret (validated ids: they can never leave the root).
    public func file(for identity: Identity) throws(SecretsError) -> URL {
        try Self.checkId(identity.deviceId, "device")
        if let moduleId = identity.moduleId {
            try Self.checkId(moduleId, "module")
            return root.appendingPathComponent("modules/\(identity.deviceId)/\(moduleId).secret")
        }
        return root.appendingPathComponent("devices/\(identity.deviceId).secret")
    }

    /// The file that holds `identity`'s storage grant, beside its secret.
    public func grantFile(for identity: Identity) throws(SecretsError) -> URL {
        let secret = try file(for: identity)
        return secret.deletingPathExtension().appendingPathExtension("storage-grant.json")
    }

    /// Writes `identity`'s storage grant (0600, replaced atomically; folders 0700).
    public func writeGrant(_ json: Data, for identity: Identity) throws {
        let url = try grantFile(for: identity)
        try PrivateFiles.createDirectory(url.deletingLastPathComponent().path)
        try PrivateFiles.write(json, to: url.path)
    }

    public func exists(_ identity: Identity) throws(SecretsError) -> Bool {
        FileManager.default.fileExists(atPath: try file(for: identity).path)
    }

    public func read(_ identity: Identity) throws -> SharedSecret {
        let url = try file(for: identity)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SecretsError("no secret for \(identity) at \(url.path): create it with `edgefactor secrets new \(identity.flags)`")
        }
        return try SharedSecret(contentsOf: url)
    }

    /// The secrets of every module of `deviceId`, by module id (what an agent accepts).
    public func moduleSecrets(of deviceId: String) throws -> [String: SharedSecret] {
        try Self.checkId(deviceId, "device")
        let folder = root.appendingPathComponent("modules/\(deviceId)", isDirectory: true)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var secrets: [String: SharedSecret] = [:]
        for name in names where name.hasSuffix(".secret") && !name.hasPrefix(".") {
            let moduleId = String(name.dropLast(".secret".count))
            secrets[moduleId] = try SharedSecret(contentsOf: folder.appendingPathComponent(name))
        }
        return secrets
    }

    /// Writes a secret atomically (temporary file, then rename) with owner-only permissions.
    public func write(_ secret: SharedSecret, for identity: Identity) throws {
        let url = try file(for: identity)
        do {
            try PrivateFiles.createDirectory(url.deletingLastPathComponent().path)
            try PrivateFiles.write(Data((secret.base64 + "\n").utf8), to: url.path)
        } catch {
            throw SecretsError("cannot store the secret: \(error)")
        }
    }

    /// The stored secret of `identity`, creating and storing a new one if there is none.
    public func readOrCreate(_ identity: Identity) throws -> SharedSecret {
        if try exists(identity) { return try read(identity) }
        let secret = SharedSecret.generate()
        try write(secret, for: identity)
        return secret
    }

    public func delete(_ identity: Identity) throws {
        let url = try file(for: identity)
        guard FileManager.default.fileExists(atPath: url.path) else { throw SecretsError("no secret for \(identity)") }
        try FileManager.default.removeItem(at: url)
    }

    /// Every stored secret, devices first, sorted.
    public func list() -> [(identity: Identity, file: URL)] {
        let fm = FileManager.default
        func secrets(in folder: URL) -> [String] {
            ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".secret") && !$0.hasPrefix(".") }.sorted()
        }
        var found: [(Identity, URL)] = []
        let devices = root.appendingPathComponent("devices")
        for name in secrets(in: devices) {
            found.append((Identity(deviceId: String(name.dropLast(7))), devices.appendingPathComponent(name)))
        }
        let modules = root.appendingPathComponent("modules")
        for device in ((try? fm.contentsOfDirectory(atPath: modules.path)) ?? []).sorted() where !device.hasPrefix(".") {
            let folder = modules.appendingPathComponent(device)
            for name in secrets(in: folder) {
                found.append((Identity(deviceId: device, moduleId: String(name.dropLast(7))), folder.appendingPathComponent(name)))
            }
        }
        return found
    }

    /// IoT Hub ids, minus a leading dot, so that an id can never name a hidden or parent folder.
    static func checkId(_ id: String, _ what: String) throws(SecretsError) {
        do {
            try FieldRules.identityId(id, name: what)
        } catch {
            throw SecretsError("invalid \(what) id '\(id.prefix(40))': use 1–128 letters, digits or -._:@+=,!()$'")
        }
        guard !id.hasPrefix(".") else { throw SecretsError("invalid \(what) id '\(id.prefix(40))': it must not start with '.'") }
    }
}

/// A secrets-store problem, with what to do about it.
public struct SecretsError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
