import Foundation
import Verification

/// Where `edgefactor secrets` keeps the shared secrets, one base64 file each, readable by the owner
/// only (files 0600, folders 0700):
///
///     <dir>/devices/<deviceId>.secret              front-end ↔ agent (requests and results)
///     <dir>/modules/<deviceId>/<moduleId>.secret   module ↔ agent (queue messages)
///
/// `<dir>` is `--secrets-dir`, else `$EDGEFACTOR_HOME/secrets`, else `var/secrets`.
struct SecretsStore {
    let root: URL

    init(directory: String?) {
        if let directory {
            root = URL(fileURLWithPath: directory, isDirectory: true)
        } else if let home = ProcessInfo.processInfo.environment["EDGEFACTOR_HOME"], !home.isEmpty {
            root = URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent("secrets", isDirectory: true)
        } else {
            root = URL(fileURLWithPath: "var/secrets", isDirectory: true)
        }
    }

    /// Which secret: a device's, or one of its modules'.
    struct Identity: CustomStringConvertible {
        var deviceId: String
        var moduleId: String?
        var description: String { moduleId.map { "module \(deviceId)/\($0)" } ?? "device \(deviceId)" }
        /// The envelope key id this secret signs under (the coordinator's convention: the module
        /// id for module secrets, the device id for device secrets).
        var keyId: String { moduleId ?? deviceId }
    }

    func file(for identity: Identity) throws -> URL {
        try Self.checkId(identity.deviceId, "device")
        if let moduleId = identity.moduleId {
            try Self.checkId(moduleId, "module")
            return root.appendingPathComponent("modules/\(identity.deviceId)/\(moduleId).secret")
        }
        return root.appendingPathComponent("devices/\(identity.deviceId).secret")
    }

    func exists(_ identity: Identity) throws -> Bool {
        FileManager.default.fileExists(atPath: try file(for: identity).path)
    }

    func read(_ identity: Identity) throws -> SharedSecret {
        let url = try file(for: identity)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SecretsError("no secret for \(identity) at \(url.path): create it with `edgefactor secrets new \(Self.flags(identity))`")
        }
        return try SharedSecret(contentsOf: url)
    }

    /// The secrets of every module of `deviceId`, by module id (what an agent accepts).
    func moduleSecrets(of deviceId: String) throws -> [String: SharedSecret] {
        try Self.checkId(deviceId, "device")
        let folder = root.appendingPathComponent("modules/\(deviceId)", isDirectory: true)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var secrets: [String: SharedSecret] = [:]
        for name in names where name.hasSuffix(".secret") {
            let moduleId = String(name.dropLast(".secret".count))
            secrets[moduleId] = try SharedSecret(contentsOf: folder.appendingPathComponent(name))
        }
        return secrets
    }

    /// Writes a secret atomically with owner-only permissions.
    func write(_ secret: SharedSecret, for identity: Identity) throws {
        let url = try file(for: identity)
        let fm = FileManager.default
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
        guard fm.createFile(atPath: temporary.path, contents: Data((secret.base64 + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw SecretsError("cannot write \(temporary.path): check the folder's permissions")
        }
        if fm.fileExists(atPath: url.path) { try fm.removeItem(at: url) }
        try fm.moveItem(at: temporary, to: url)
    }

    func delete(_ identity: Identity) throws {
        let url = try file(for: identity)
        guard FileManager.default.fileExists(atPath: url.path) else { throw SecretsError("no secret for \(identity)") }
        try FileManager.default.removeItem(at: url)
    }

    /// Every stored secret.
    func list() -> [(identity: Identity, file: URL)] {
        let fm = FileManager.default
        var found: [(Identity, URL)] = []
        let devices = root.appendingPathComponent("devices")
        for name in ((try? fm.contentsOfDirectory(atPath: devices.path)) ?? []).sorted() where name.hasSuffix(".secret") {
            found.append((Identity(deviceId: String(name.dropLast(7)), moduleId: nil), devices.appendingPathComponent(name)))
        }
        let modules = root.appendingPathComponent("modules")
        for device in ((try? fm.contentsOfDirectory(atPath: modules.path)) ?? []).sorted() {
            let folder = modules.appendingPathComponent(device)
            for name in ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).sorted() where name.hasSuffix(".secret") {
                found.append((Identity(deviceId: device, moduleId: String(name.dropLast(7))), folder.appendingPathComponent(name)))
            }
        }
        return found
    }

    static func flags(_ identity: Identity) -> String {
        "--device \(identity.deviceId)" + (identity.moduleId.map { " --module \($0)" } ?? "")
    }

    /// IoT Hub ids, minus `/` and a leading dot so that an id can never leave the folder.
    static func checkId(_ id: String, _ what: String) throws {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:@+=,!()$'")
        guard (1...128).contains(id.count), !id.hasPrefix("."), id.unicodeScalars.allSatisfy({ allowed.contains($0) }) else {
            throw SecretsError("invalid \(what) id '\(id.prefix(40))': use 1–128 letters, digits or -._:@+=,!()$' (not starting with '.')")
        }
    }
}

/// A secrets-store problem, with what to do about it.
struct SecretsError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
