import Foundation
import PrivateFiles
import Synchronization
import Verification
import Vision

/// The personal-object templates enrolled on this device, encrypted at rest with a key derived
/// from the device's secret (AES-256-GCM, the template id as associated data): a copied, altered or
/// swapped file does not open. Kept in `<state>/templates/<id>.eft`, or in memory when the agent
/// has no state folder.
final class TemplateStore: Sendable {
    /// Most templates one device keeps, and one account on it.
    static let capacity = 1000
    static let perAccount = 20
    static let purpose = "template-at-rest/1"

    private let directory: URL?
    private let secret: Verification.SharedSecret
    private let deviceId: String
    private let memory = Mutex<[String: Data]>([:])

    init(stateDirectory: URL?, secret: Verification.SharedSecret, deviceId: String) {
        directory = stateDirectory?.appendingPathComponent("templates", isDirectory: true)
        self.secret = secret
        self.deviceId = deviceId
    }

    /// Why a template cannot be used for a request.
    struct LookupError: Error, CustomStringConvertible {
        var description: String
    }

    /// Encrypts and stores `template`, which must carry its owner's account in its metadata.
    func save(_ template: ObjectTemplate) throws {
        guard let account = template.metadata["account"] else { throw LookupError(description: "a template must name its account") }
        let ids = try storedIds()
        guard ids.count < Self.capacity else {
            throw LookupError(description: "this device keeps at most \(Self.capacity) templates: remove unused objects first")
        }
        let owned = ids.filter { (try? self.open($0))?.metadata["account"] == account }.count
        guard owned < Self.perAccount else {
            throw LookupError(description: "an account keeps at most \(Self.perAccount) objects on one device: remove one first")
        }
        let sealed = try secret.encrypt(template.encoded(), purpose: Self.purpose, authenticating: Data(template.id.utf8))
        if let directory {
            try PrivateFiles.createDirectory(directory.path)
            try PrivateFiles.write(sealed, to: directory.appendingPathComponent(template.id + ".eft").path)
        } else {
            memory.withLock { $0[template.id] = sealed }
        }
    }

    /// The template `id`, if it belongs to `accountRef` on this device.
    func load(_ id: String, accountRef: String) throws(LookupError) -> ObjectTemplate {
        let template = try open(id)
        guard template.metadata["account"] == accountRef, template.metadata["device"] == deviceId else {
            throw LookupError(description: "template \(id) belongs to another account or device")
        }
        return template
    }

    /// Erases template `id` if it belongs to `accountRef`; false when there was none.
    @discardableResult
    func remove(_ id: String, accountRef: String) throws -> Bool {
        guard (try? load(id, accountRef: accountRef)) != nil else { return false }
        if let directory {
            try FileManager.default.removeItem(at: directory.appendingPathComponent(id + ".eft"))
        } else {
            memory.withLock { _ = $0.removeValue(forKey: id) }
        }
        return true
    }

    private func open(_ id: String) throws(LookupError) -> ObjectTemplate {
        guard id.count == 32, id.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw LookupError(description: "invalid template id")
        }
        let sealed: Data
        if let directory {
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(id + ".eft").path) else {
                throw LookupError(description: "no template \(id) on this device (never enrolled here, or removed)")
            }
            sealed = data
        } else {
            guard let data = memory.withLock({ $0[id] }) else {
                throw LookupError(description: "no template \(id) on this device (never enrolled here, or removed)")
            }
            sealed = data
        }
        do {
            let plain = try secret.decrypt(sealed, purpose: Self.purpose, authenticating: Data(id.utf8))
            let template = try ObjectTemplate(decoding: plain)
            guard template.id == id else { throw LookupError(description: "template file \(id) holds another template") }
            return template
        } catch let error as LookupError {
            throw error
        } catch {
            throw LookupError(description: "template \(id) does not open (\(error)): it was altered, or the device's secret changed; enrol the object again")
        }
    }

    /// The model each stored template was enrolled with (nil for one that does not open).
    func enrolledModels() throws -> [(id: String, model: ModelIdentity?)] {
        try storedIds().map { id in (id, try? open(id).model) }
    }

    private func storedIds() throws -> [String] {
        guard let directory else { return memory.withLock { Array($0.keys) } }
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".eft") && !$0.hasPrefix(".") }
            .map { String($0.dropLast(4)) }
    }
}
