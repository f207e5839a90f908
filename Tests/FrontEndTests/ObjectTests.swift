import Foundation
@testable import FrontEnd
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
import Verification

/// The personal-object pages and challenge: the real front-end on a loopback port, the device a
/// stand-in (``ObjectDevice``); the real module and agent flow is tested elsewhere.
@Suite("Personal objects: pages, enrolment, challenge (live front-end, stand-in device)")
struct ObjectTests {
    /// `alice` (banana) and `bob` (banana), both on `cam1`.
    static func harness(_ device: ObjectDevice) async throws -> FrontEndHarness {
        let harness = try await FrontEndHarness(backend: device, secrets: StaticDeviceSecrets([device.deviceId: device.secret])) {
            $0.objects = ObjectSettings(views: 5, captureSeconds: 2, initialPollInterval: .milliseconds(30), maximumPollInterval: .milliseconds(100))
        }
        try await harness.users.add(username: "bob", password: FrontEndHarness.password, classes: ["banana"], threshold: 70, deviceId: "cam1", moduleId: "edgefactor")
        return harness
    }

    static func live(_ harness: FrontEndHarness, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = try await harness.frontEnd.makeApplication()
        try await app.test(.live, body)
    }

    @Test("enrol from the page: live progress (k of N, the last refusal), then the object listed with its thumbnail, to its owner only")
    func enrolFromThePage() async throws {
        let device = ObjectDevice()
        await device.set(holdEnrolments: true)
        let harness = try await Self.harness(device)
        try await Self.live(harness) { client in
            let alice = BrowserSession(client)
            try await alice.signInCompletely("alice")
            let page = try await alice.get("/objects")
            #expect(page.status == .ok)
            #expect(page.text.contains("You have no objects yet"))
            #expect(page.headers[.contentSecurityPolicy] != nil)
            let started = try await alice.post("/objects", form: ["csrf": try #require(alice.csrf), "name": "  blue mug "])
            #expect(started.status == .seeOther)
            let location = try #require(started.location)
            #expect(location.hasPrefix("/objects/enrol/"))
            let requestId = String(location.dropFirst("/objects/enrol/".count))

            let capturing = try await alice.waitForEnrolment(requestId) { ($0["acceptedViews"] as? Int) == 2 }
            #expect(capturing["viewsText"] as? String == "2 of 5 views accepted")
            #expect(capturing["hint"] as? String == "turn it slowly")
            #expect(capturing["lastRefusal"] as? String == "too close to a view already kept")
            #expect(capturing["terminal"] as? Bool == false)
            let live = try await alice.get(location)
            #expect(live.text.contains("Turn your blue mug slowly"))
            #expect(live.text.contains("data-enrolment"))

            let request = try #require(await device.enrolments.first)
            #expect(request.objectName == "blue mug")
            #expect(request.accountRef == AccountReference.make(username: "alice"))
            #expect(request.views == 5)
            #expect(request.moduleId == "edgefactor")

            await device.releaseEnrolments()
            let done = try await alice.waitForEnrolment(requestId) { $0["terminal"] as? Bool == true }
            #expect(done["phase"] as? String == "enrolled")
            let result = try await alice.get(location)
            #expect(result.text.contains("Your blue mug is enrolled"))

            let objects = try await harness.frontEnd.objectsStore.list(username: "alice")
            let object = try #require(objects.first)
            #expect(objects.count == 1)
            #expect(object.name == "blue mug")
            #expect(object.deviceId == "cam1")
            #expect(object.quality.views == 5)
            #expect(await device.templates[object.templateId] == AccountReference.make(username: "alice"))

            let list = try await alice.get("/objects")
            #expect(list.text.contains("blue mug"))
            #expect(list.text.contains("/objects/\(object.templateId)/thumbnail"))
            let thumbnail = try await alice.get("/objects/\(object.templateId)/thumbnail")
            #expect(thumbnail.status == .ok)
            #expect(thumbnail.headers[.contentType] == "image/jpeg")
            #expect(Data(buffer: thumbnail.body) == device.thumbnail)

            // Not to another account, nor to a browser that is not signed in.
            let bob = BrowserSession(client)
            try await bob.signInCompletely("bob")
            #expect(try await bob.get("/objects/\(object.templateId)/thumbnail").status == .notFound)
            #expect(!(try await bob.get("/objects").text.contains(object.templateId)))
            let stranger = BrowserSession(client)
            #expect(try await stranger.get("/objects/\(object.templateId)/thumbnail").status == .notFound)
            #expect(try await stranger.get("/objects").location == "/")
            #expect(try await stranger.get("/objects/enrol/\(requestId)").location == "/")
            #expect(try await bob.get("/objects/enrol/\(requestId)/status").status == .notFound)
        }
    }

    @Test("the device's refusal is shown with its reason, and nothing is stored")
    func refusalShown() async throws {
        let device = ObjectDevice()
        await device.set(enrolment: .refuses("only 2 distinct views were seen: turn the object slowly so the camera sees it from several sides"))
        let harness = try await Self.harness(device)
        try await Self.live(harness) { client in
            let alice = BrowserSession(client)
            try await alice.signInCompletely("alice")
            try await alice.get("/objects")
            let started = try await alice.post("/objects", form: ["csrf": try #require(alice.csrf), "name": "blue mug"])
            let location = try #require(started.location)
            let requestId = String(location.dropFirst("/objects/enrol/".count))
            let done = try await alice.waitForEnrolment(requestId) { $0["terminal"] as? Bool == true }
            #expect(done["phase"] as? String == "refused")
            let page = try await alice.get(location)
            #expect(page.text.contains("Enrolment refused"))
            #expect(page.text.contains("only 2 distinct views were seen: turn the object slowly"))
            #expect(try await harness.frontEnd.objectsStore.list(username: "alice").isEmpty)
        }
    }

    @Test("an offline device is reported as offline on the enrolment page, and nothing is stored")
    func offlineDevice() async throws {
        let device = ObjectDevice()
        let harness = try await Self.harness(device)
        try await Self.live(harness) { client in
            let alice = BrowserSession(client)
            try await alice.signInCompletely("alice")
            await device.set(offline: true)
            try await alice.get("/objects")
            let requestId = try await alice.startEnrolment("blue mug")
            let done = try await alice.waitForEnrolment(requestId) { $0["terminal"] as? Bool == true }
            #expect(done["phase"] as? String == "device-offline")
            #expect(try await alice.get("/objects/enrol/\(requestId)").text.contains("Your device is offline"))
            #expect(try await harness.frontEnd.objectsStore.list(username: "alice").isEmpty)
        }
    }

    @Test("the enroller: no secret or an unknown device is device-unknown, a module's error is rejected")
    func enrollerOutcomes() async throws {
        let device = ObjectDevice()
        let database = try FrontEndDatabase.inMemory()
        let objects = ObjectStore(database: database)
        let noSecret = ObjectEnroller(backend: device, secrets: StaticDeviceSecrets([:]), objects: objects)
        let request = try await noSecret.prepare(username: "alice", deviceId: "cam1", moduleId: "edgefactor", name: "blue mug")
        #expect(await noSecret.run(request, username: "alice").phase == .deviceUnknown)
        #expect(await device.enrolments.isEmpty, "not contacted without a secret")

        let enroller = ObjectEnroller(backend: device, secrets: StaticDeviceSecrets(["cam1": device.secret, "cam9": device.secret]), objects: objects)
        let elsewhere = try await enroller.prepare(username: "alice", deviceId: "cam9", moduleId: nil, name: "blue mug")
        #expect(await enroller.run(elsewhere, username: "alice").phase == .deviceUnknown)

        // Sealed with another secret: the device's module refuses it (400).
        let wrongSecret = ObjectEnroller(backend: device, secrets: StaticDeviceSecrets(["cam1": .generate()]), objects: objects)
        let refused = await wrongSecret.run(request, username: "alice")
        #expect(refused.phase == .rejected)
        #expect(refused.reason?.contains("400") == true)
        #expect(try await objects.list(username: "alice").isEmpty)
    }

    @Test("a thumbnail that does not match the signed digest is refused and nothing is stored")
    func thumbnailDigestChecked() async throws {
        let device = ObjectDevice()
        await device.set(enrolment: .uploadsDifferentThumbnail)
        let harness = try await Self.harness(device)
        try await Self.live(harness) { client in
            let alice = BrowserSession(client)
            try await alice.signInCompletely("alice")
            try await alice.get("/objects")
            let requestId = try await alice.startEnrolment("blue mug")
            let done = try await alice.waitForEnrolment(requestId) { $0["terminal"] as? Bool == true }
            #expect(done["phase"] as? String == "invalid")
            #expect(try await harness.frontEnd.objectsStore.list(username: "alice").isEmpty)
        }
    }

    @Test("the objects forms need the session's CSRF token and a valid name")
    func formsChecked() async throws {
        let device = ObjectDevice()
        let harness = try await Self.harness(device)
        try await Self.live(harness) { client in
            let alice = BrowserSession(client)
            try await alice.signInCompletely("alice")
            try await alice.get("/objects")
            #expect(try await alice.post("/objects", form: ["name": "blue mug"]).status == .forbidden)
            #expect(try await alice.post("/objects", form: ["name": "blue mug", "csrf": "wrong"]).status == .forbidden)
            let bad = try await alice.post("/objects", form: ["csrf": try #require(alice.csrf), "name": "<script>"])
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("Give it a name"))
            #expect(await device.enrolments.isEmpty)
            // Not signed in: nothing to post to.
            let stranger = BrowserSession(client)
            try await stranger.get("/")
            #expect(try await stranger.post("/objects", form: ["csrf": try #require(stranger.csrf), "name": "mug"]).location == "/")
        }
    }

    @Test("with an object, sign-in challenges it: templateId and accountRef sent, 'Show your …', similarity shown")
    func signInWithObject() async throws {
        let device = ObjectDevice()
        let harness = try await Self.harness(device)
        let templateId = RandomID.hex128()
        await device.adopt(templateId, username: "alice")
        try await harness.frontEnd.objectsStore.add(Self.object(templateId, "alice", "blue mug"))
        try await Self.live(harness) { client in
            let alice = BrowserSession(client)
            await device.set(holdVerifications: true)
            let requestId = try #require(try await alice.signIn().requestId)
            let waiting = try await alice.get("/verify/\(requestId)")
            #expect(waiting.text.contains("your blue mug"))
            let sent = try #require(await device.verifications.last)
            #expect(sent.templateId == templateId)
            #expect(sent.accountRef == AccountReference.make(username: "alice"))
            #expect(sent.className == "blue mug")
            #expect(sent.threshold == 72)
            await device.releaseVerifications()
            let outcome = try await alice.waitForOutcome(requestId)
            #expect(outcome["phase"] as? String == "found")
            #expect(outcome["personal"] as? Bool == true)
            let result = try await alice.get("/verify/\(requestId)")
            #expect(result.text.contains("87 % similar"))
            let completed = try await alice.post("/verify/\(requestId)/complete", form: ["csrf": try #require(alice.csrf)])
            #expect(completed.location == "/account")
            let account = try await alice.get("/account")
            #expect(account.text.contains("your blue mug"))
            #expect(account.text.contains("Your objects (1)"))
        }
    }

    @Test("a removed object is never challenged again, its late result is refused, and the device is told to erase it")
    func removedObjectRefused() async throws {
        let device = ObjectDevice()
        let harness = try await Self.harness(device)
        try await Self.live(harness) { client in
            // Alice enrols her mug from the page.
            let first = BrowserSession(client)
            try await first.signInCompletely("alice")
            try await first.get("/objects")
            let enrolmentId = try await first.startEnrolment("blue mug")
            let enrolled = try await first.waitForEnrolment(enrolmentId) { $0["terminal"] as? Bool == true }
            #expect(enrolled["phase"] as? String == "enrolled")
            let object = try #require(try await harness.frontEnd.objectsStore.list(username: "alice").first)

            // A second browser signs in with it; the device holds its answer.
            await device.set(holdVerifications: true)
            let second = BrowserSession(client)
            let requestId = try #require(try await second.signIn().requestId)
            #expect(await device.verifications.last?.templateId == object.templateId)

            // Meanwhile the first removes it.
            try await first.get("/objects")
            let removed = try await first.post("/objects/\(object.templateId)/remove", form: ["csrf": try #require(first.csrf)])
            #expect(removed.location == "/objects?done=removed")
            #expect(try await harness.frontEnd.objectsStore.list(username: "alice").isEmpty)
            #expect(try await first.get("/objects/\(object.templateId)/thumbnail").status == .notFound)

            // The late result is refused.
            await device.releaseVerifications()
            let outcome = try await second.waitForOutcome(requestId)
            #expect(outcome["phase"] as? String == "object-removed")
            #expect(try await second.get("/verify/\(requestId)").text.contains("was removed from your account"))
            #expect(second.csrf != nil)
            #expect(try await second.post("/verify/\(requestId)/complete", form: ["csrf": try #require(second.csrf)]).location == "/")
            #expect(try await second.get("/account").location == "/")

            // The device is told to forget it (sealed, best effort, by the worker).
            let removal = try await poll { await device.removals.first }
            #expect(removal.templateId == object.templateId)
            #expect(removal.accountRef == AccountReference.make(username: "alice"))
            #expect(await device.templates[object.templateId] == nil)

            // The next sign-in asks for the class again.
            await device.set(holdVerifications: false)
            let again = BrowserSession(client)
            _ = try #require(try await again.signIn().requestId)
            let next = try #require(await device.verifications.last)
            #expect(next.templateId == nil)
            #expect(next.className == "banana")
        }
    }

    @Test("a result accepted before the object was removed no longer completes the sign-in")
    func removedBeforeCompletion() async throws {
        let device = ObjectDevice()
        let harness = try await Self.harness(device)
        let templateId = RandomID.hex128()
        await device.adopt(templateId, username: "alice")
        try await harness.frontEnd.objectsStore.add(Self.object(templateId, "alice", "blue mug"))
        try await Self.live(harness) { client in
            let browser = BrowserSession(client)
            let requestId = try #require(try await browser.signIn().requestId)
            #expect(try await browser.waitForOutcome(requestId)["phase"] as? String == "found")
            try await browser.get("/verify/\(requestId)")
            try await harness.frontEnd.objectsStore.remove(templateId: templateId, username: "alice")
            let completed = try await browser.post("/verify/\(requestId)/complete", form: ["csrf": try #require(browser.csrf)])
            #expect(completed.status == .forbidden)
            #expect(completed.text.contains("removed"))
            #expect(try await browser.get("/account").location == "/")
        }
    }

    @Test("another account's object is never challenged, shown, renamed or removed")
    func anotherAccountsObject() async throws {
        let device = ObjectDevice()
        let harness = try await Self.harness(device)
        let templateId = RandomID.hex128()
        await device.adopt(templateId, username: "alice")
        try await harness.frontEnd.objectsStore.add(Self.object(templateId, "alice", "blue mug"))
        try await Self.live(harness) { client in
            let bob = BrowserSession(client)
            try await bob.signInCompletely("bob")
            let sent = try #require(await device.verifications.last)
            #expect(sent.templateId == nil, "bob has no object: his challenge is his class")
            #expect(sent.className == "banana")
            try await bob.get("/objects")
            let token = try #require(bob.csrf)
            #expect(try await bob.post("/objects/\(templateId)/rename", form: ["csrf": token, "name": "mine now"]).status == .notFound)
            #expect(try await bob.post("/objects/\(templateId)/remove", form: ["csrf": token]).status == .notFound)
            #expect(try await bob.get("/objects/\(templateId)/thumbnail").status == .notFound)
            let stillThere = try #require(try await harness.frontEnd.objectsStore.find(templateId: templateId, username: "alice"))
            #expect(stillThere.name == "blue mug")
            #expect(await device.removals.isEmpty)
        }
    }

    @Test("rename from the page; the challenge uses the new name")
    func rename() async throws {
        let device = ObjectDevice()
        let harness = try await Self.harness(device)
        let templateId = RandomID.hex128()
        await device.adopt(templateId, username: "alice")
        try await harness.frontEnd.objectsStore.add(Self.object(templateId, "alice", "blue mug"))
        try await Self.live(harness) { client in
            let alice = BrowserSession(client)
            try await alice.signInCompletely("alice")
            try await alice.get("/objects")
            let renamed = try await alice.post("/objects/\(templateId)/rename", form: ["csrf": try #require(alice.csrf), "name": "travel mug"])
            #expect(renamed.location == "/objects?done=renamed")
            #expect(try await alice.get("/objects").text.contains("travel mug"))
            let again = BrowserSession(client)
            _ = try #require(try await again.signIn().requestId)
            #expect(await device.verifications.last?.className == "travel mug")
        }
    }

    static func object(_ templateId: String, _ username: String, _ name: String, device: String = "cam1") -> PersonalObject {
        PersonalObject(templateId: templateId, username: username, deviceId: device, moduleId: "edgefactor", name: name,
                       thumbnail: Data([0xff, 0xd8, 0xff]), quality: ObjectDevice.quality(views: 5))
    }
}

extension FrontEnd {
    /// The objects of this front-end's database.
    var objectsStore: ObjectStore { ObjectStore(database: database) }
}

/// Waits until `value` is not nil (``eventuallyValue``, generous deadline; no timed assertions).
func poll<T: Sendable>(timeout: Duration = .seconds(30), _ value: @Sendable () async throws -> T?) async throws -> T {
    guard let found = try await eventuallyValue(timeout: timeout, pollingEvery: .milliseconds(20), value) else {
        Issue.record("nothing within \(timeout)")
        throw CancellationError()
    }
    return found
}

extension BrowserSession {
    /// Both factors: password, the device sees the class (or object), the sign-in completed.
    func signInCompletely(_ username: String) async throws {
        let requestId = try #require(try await signIn(username).requestId)
        let outcome = try await waitForOutcome(requestId)
        #expect(outcome["phase"] as? String == "found")
        try await get("/verify/\(requestId)")  // the page's form carries the rotated session's token
        let token = try #require(csrf)
        let completed = try await post("/verify/\(requestId)/complete", form: ["csrf": token])
        #expect(completed.location == "/account")
    }

    /// Posts the "Add" form (after GET /objects); returns the enrolment's request id.
    func startEnrolment(_ name: String) async throws -> String {
        let token = try #require(csrf)
        let started = try await post("/objects", form: ["csrf": token, "name": name])
        let location = try #require(started.location)
        #expect(location.hasPrefix("/objects/enrol/"))
        return String(location.dropFirst("/objects/enrol/".count))
    }

    /// Polls the enrolment's status until `done` holds; returns its JSON.
    func waitForEnrolment(_ requestId: String, timeout: Duration = .seconds(60), until done: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var last: [String: Any] = [:]
        while clock.now < deadline {
            let response = try await get("/objects/enrol/\(requestId)/status")
            #expect(response.status == .ok)
            last = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            if done(last) { return last }
            try await Task.sleep(for: .milliseconds(30))
        }
        Issue.record("enrolment \(requestId) did not reach the expected state within \(timeout): \(last)")
        return last
    }
}
