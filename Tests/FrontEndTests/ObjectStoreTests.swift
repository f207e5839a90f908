import Foundation
@testable import FrontEnd
import Testing
import Verification

@Suite("Personal objects: store, names, cap, challenge drawing, page copy")
struct ObjectStoreTests {
    func store() throws -> (ObjectStore, FrontEndDatabase) {
        let database = try FrontEndDatabase.inMemory()
        return (ObjectStore(database: database), database)
    }

    @Test("names follow the class-name rule, trimmed; duplicates per account are refused")
    func names() async throws {
        let (objects, _) = try store()
        #expect(try ObjectStore.validName("  blue mug ") == "blue mug")
        #expect(try ObjectStore.validName("Grandma's tin (red), no.2") == "Grandma's tin (red), no.2")
        for bad in ["", " ", String(repeating: "a", count: 101), "<script>", "mug/../x", "tab\there", "a\"b"] {
            #expect(throws: FrontEndError.invalidObjectName(bad)) { try ObjectStore.validName(bad) }
        }
        try await objects.add(ObjectTests.object(RandomID.hex128(), "alice", "blue mug"))
        await #expect(throws: FrontEndError.objectExists("Blue Mug")) { try await objects.checkCanAdd(username: "alice", name: "Blue Mug") }
        #expect(try await objects.checkCanAdd(username: "bob", name: "blue mug") == "blue mug")
    }

    @Test("an account may have at most 20 objects")
    func cap() async throws {
        let (objects, _) = try store()
        for index in 0..<ObjectStore.maximumPerAccount {
            try await objects.add(ObjectTests.object(RandomID.hex128(), "alice", "thing \(index)"))
        }
        await #expect(throws: FrontEndError.objectLimit(20)) { try await objects.checkCanAdd(username: "alice", name: "one more") }
        await #expect(throws: FrontEndError.objectLimit(20)) { try await objects.add(ObjectTests.object(RandomID.hex128(), "alice", "one more")) }
        #expect(try await objects.list(username: "alice").count == 20)
        #expect(try await objects.checkCanAdd(username: "bob", name: "one more") == "one more")
    }

    @Test("rename, find and remove only touch the owner's object; a template id is stored once")
    func ownership() async throws {
        let (objects, _) = try store()
        let id = RandomID.hex128()
        try await objects.add(ObjectTests.object(id, "alice", "blue mug"))
        await #expect(throws: FrontEndError.objectExists("template \(id)")) { try await objects.add(ObjectTests.object(id, "bob", "mug")) }
        #expect(try await objects.find(templateId: id, username: "bob") == nil)
        #expect(try await objects.find(templateId: id, username: "ALICE")?.name == "blue mug")
        await #expect(throws: FrontEndError.objectNotFound(id)) { try await objects.rename(templateId: id, username: "bob", to: "x") }
        await #expect(throws: FrontEndError.objectNotFound(id)) { try await objects.remove(templateId: id, username: "bob") }
        #expect(try await objects.rename(templateId: id, username: "alice", to: "travel mug").name == "travel mug")
        let stored = try #require(try await objects.find(templateId: id, username: "alice"))
        #expect(stored.quality == ObjectDevice.quality(views: 5))
        #expect(stored.thumbnail == Data([0xff, 0xd8, 0xff]))
        try await objects.remove(templateId: id, username: "alice")
        #expect(try await objects.find(templateId: id, username: "alice") == nil)
    }

    @Test("removing an account removes its objects")
    func accountRemoval() async throws {
        let (objects, database) = try store()
        let users = UserStore(database: database, bcryptCost: 4)
        try await users.add(username: "alice", password: FrontEndHarness.password, classes: ["banana"], threshold: 70, deviceId: "cam1", moduleId: nil)
        try await objects.add(ObjectTests.object(RandomID.hex128(), "alice", "blue mug"))
        try await users.remove(username: "alice")
        #expect(try await objects.listAll().isEmpty)
    }

    @Test("the challenge draws the account's objects on its device, else a class")
    func drawing() throws {
        let account = UserAccount(username: "alice", passwordHash: "x", classes: ["banana"], threshold: 70, deviceId: "cam1", moduleId: nil, now: Date())
        let mug = ObjectTests.object(RandomID.hex128(), "alice", "blue mug")
        let elsewhere = ObjectTests.object(RandomID.hex128(), "alice", "old mug", device: "cam2")
        let bobs = ObjectTests.object(RandomID.hex128(), "bob", "bob's mug")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let drawn = try #require(SecondFactorChallenge.draw(account: account, objects: [mug, elsewhere, bobs], objectThreshold: 80, using: &generator))
            #expect(drawn == SecondFactorChallenge(className: "blue mug", threshold: 80, templateId: mug.templateId))
        }
        let fallback = try #require(SecondFactorChallenge.draw(account: account, objects: [elsewhere, bobs], objectThreshold: 80, using: &generator))
        #expect(fallback == SecondFactorChallenge(className: "banana", threshold: 70, templateId: nil))
    }

    @Test("the enrolment page's words: k of N, the device's hint and refusal, the refusal's reason")
    func copy() throws {
        let request = try EnrolmentRequest.make(deviceId: "cam1", moduleId: nil, accountRef: AccountReference.make(username: "alice"), objectName: "blue mug", views: 5, captureSeconds: 5)
        var pending = PendingEnrolment(request: request, username: "alice", address: "127.0.0.1", sessionKey: "k")
        pending.status = EnrolmentStatus(phase: .capturing, progress: EnrolmentProgress(
            requestId: request.requestId, deviceId: "cam1", acceptedViews: 3, wantedViews: 5, framesSeen: 12, hint: "turn it slowly",
            lastRefusal: "blurred: hold it still a moment", updatedAt: Date()))
        let capturing = EnrolmentView(pending)
        #expect(capturing.viewsText == "3 of 5 views accepted")
        #expect(capturing.headline == "Turn your blue mug slowly")
        #expect(capturing.hint == "turn it slowly")
        #expect(capturing.lastRefusal == "blurred: hold it still a moment")
        pending.status = EnrolmentStatus(phase: .refused, reason: "only 2 distinct views: turn the object slowly")
        let refused = EnrolmentView(pending)
        #expect(refused.message.contains("only 2 distinct views: turn the object slowly"))
        #expect(refused.failed && refused.terminal && !refused.enrolled)
        #expect(refused.lastRefusal == nil)
    }
}
