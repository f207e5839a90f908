import Foundation
import Testing
import Verification

@Suite struct SecretsStoreTests {
    func makeStore() throws -> SecretsStore {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString)")
        return SecretsStore(directory: dir.path)
    }

    @Test func writeReadListDelete() throws {
        let store = try makeStore()
        defer { try? FileManager.default.removeItem(at: store.root) }
        let device = SecretsStore.Identity(deviceId: "cam-1")
        let module = SecretsStore.Identity(deviceId: "cam-1", moduleId: "edgefactor")
        let a = SharedSecret.generate(), b = SharedSecret.generate()
        try store.write(a, for: device)
        try store.write(b, for: module)
        #expect(try store.read(device).base64 == a.base64)
        #expect(try store.moduleSecrets(of: "cam-1")["edgefactor"]?.base64 == b.base64)
        #expect(store.list().map(\.identity) == [device, module])
        let mode = try FileManager.default.attributesOfItem(atPath: store.file(for: device).path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try store.delete(device)
        #expect(throws: (any Error).self) { try store.read(device) }
    }

    @Test(arguments: ["../x", ".hidden", "a/b", "", String(repeating: "x", count: 129)])
    func idsCannotLeaveTheStore(_ id: String) throws {
        let store = try makeStore()
        #expect(throws: SecretsError.self) { try store.file(for: .init(deviceId: id)) }
        #expect(throws: SecretsError.self) { try store.file(for: .init(deviceId: "ok", moduleId: id)) }
    }

    @Test func peekReadsWithoutTheKeyButOpenStillChecks() throws {
        let secret = SharedSecret.generate()
        let request = try VerificationRequest.make(deviceId: "cam", moduleId: nil, className: "espresso", threshold: 70)
        var envelope = try SignedEnvelope.seal(request, kind: .request, keyId: "cam", secret: secret)
        #expect(try envelope.peek(VerificationRequest.self).requestId == request.requestId)
        envelope.payload = envelope.payload.replacingOccurrences(of: "espresso", with: "tabby")
        #expect(try envelope.peek(VerificationRequest.self).className == "tabby")
        #expect(throws: VerificationError.badSignature) { try envelope.open(VerificationRequest.self, kind: .request, secret: secret) }
    }
}
