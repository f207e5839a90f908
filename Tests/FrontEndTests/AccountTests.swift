import Foundation
@testable import FrontEnd
import Testing

@Suite("Accounts, password policy, throttle policy, audit log (real SQLite)")
struct AccountTests {
    @Test("password policy follows NIST SP 800-63B: length, common values, user name")
    func passwordPolicy() throws {
        #expect(throws: FrontEndError.self) { try AccountPolicy.checkPassword("short", username: "alice") }
        #expect(throws: FrontEndError.self) { try AccountPolicy.checkPassword("password123", username: "alice") }
        #expect(throws: FrontEndError.self) { try AccountPolicy.checkPassword("my-alice-secret", username: "alice") }
        #expect(throws: FrontEndError.self) { try AccountPolicy.checkPassword(String(repeating: "z", count: 12), username: "alice") }
        #expect(throws: FrontEndError.self) { try AccountPolicy.checkPassword(String(repeating: "ab", count: 200), username: "alice") }
        try AccountPolicy.checkPassword("correct horse battery staple", username: "alice")
        try AccountPolicy.checkPassword("ünïcödé pässwörd ☃ with spaces", username: "alice")
    }

    @Test("user names, classes, thresholds and device ids are validated positively")
    func fieldValidation() throws {
        #expect(try AccountPolicy.validUsername(" alice ") == "alice")
        for bad in ["", "a b", "x\"y", "robert'); drop", String(repeating: "a", count: 65), "a|b"] {
            #expect(throws: FrontEndError.self) { try AccountPolicy.validUsername(bad) }
        }
        #expect(try AccountPolicy.validClassName("tabby, tabby cat") == "tabby, tabby cat")
        #expect(try AccountPolicy.validClassName("jack-o'-lantern") == "jack-o'-lantern")
        for bad in ["", "a|b", "x\"y", "<script>", String(repeating: "a", count: 101)] {
            #expect(throws: FrontEndError.self) { try AccountPolicy.validClassName(bad) }
        }
        for bad in [0, 100.5, -3, .nan, .infinity] {
            #expect(throws: FrontEndError.self) { try AccountPolicy.validThreshold(bad) }
        }
        #expect(throws: FrontEndError.self) { try AccountPolicy.validDeviceId("cam/1") }
        #expect(try AccountPolicy.validDeviceId("edge-cam_01.lab") == "edge-cam_01.lab")
    }

    @Test("accounts: add, duplicate, find case-insensitively, update, remove; the hash is bcrypt and verifies")
    func userStore() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ef-frontend-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try FrontEndDatabase(path: directory.appendingPathComponent("f.sqlite").path)
        let users = UserStore(database: database, bcryptCost: 4, classCatalogue: { name in
            ["banana": "banana", "espresso": "espresso", "coffee mug": "coffee mug"][name.lowercased()]
        })
        let alice = try await users.add(username: "Alice", password: "correct horse battery", classes: ["banana", "Espresso;coffee mug"], threshold: 75, deviceId: "cam1", moduleId: nil)
        #expect(alice.classes == ["banana", "espresso", "coffee mug"])
        await #expect(throws: FrontEndError.userExists("alice")) {
            try await users.add(username: "alice", password: "another good one", classes: ["banana"], threshold: 70, deviceId: "cam1", moduleId: nil)
        }
        await #expect(throws: FrontEndError.self) {
            try await users.add(username: "bob", password: "another good one", classes: ["unicorn"], threshold: 70, deviceId: "cam1", moduleId: nil)
        }
        let found = try #require(try await users.find("ALICE"))
        #expect(found.passwordHash.hasPrefix("ef1$$2b$04$"))
        #expect(try await PasswordHasher(cost: 4).verify("correct horse battery", against: found.passwordHash))
        #expect(try await !PasswordHasher(cost: 4).verify("correct horse batterY", against: found.passwordHash))

        let updated = try await users.update(username: "alice", changes: .init(classes: ["banana"], threshold: 90, moduleId: .some("edgefactor")))
        #expect(updated.classes == ["banana"])
        #expect(updated.threshold == 90)
        #expect(updated.moduleId == "edgefactor")
        #expect(try await users.list().map(\.username) == ["Alice"])
        try await users.remove(username: "alice")
        #expect(try await users.list().isEmpty)
        await #expect(throws: FrontEndError.userNotFound("alice")) { try await users.remove(username: "alice") }
    }

    @Test("long passwords are not truncated at bcrypt's 72 bytes")
    func longPasswords() async throws {
        let hasher = PasswordHasher(cost: 4)
        let base = String(repeating: "é", count: 40)  // 80 bytes
        let hash = try await hasher.hash(base + "1")
        #expect(try await hasher.verify(base + "1", against: hash))
        #expect(try await !hasher.verify(base + "2", against: hash))
    }

    @Test("throttle waits double from the first non-free failure and are capped; lockout is at most 100")
    func throttlePolicy() {
        let policy = ThrottlePolicy(accountFreeFailures: 5, lockoutAfter: 500, baseDelay: 1, maximumDelay: 900)
        #expect(policy.lockoutAfter == 100)
        #expect(policy.accountDelay(afterFailures: 5) == 0)
        #expect(policy.accountDelay(afterFailures: 6) == 1)
        #expect(policy.accountDelay(afterFailures: 8) == 4)
        #expect(policy.accountDelay(afterFailures: 90) == 900)
    }

    @Test("the account throttle persists across restarts and locks at the limit")
    func accountThrottlePersists() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ef-frontend-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("f.sqlite").path
        let policy = ThrottlePolicy(accountFreeFailures: 1, lockoutAfter: 3, baseDelay: 10)
        let now = Date()
        do {
            let throttle = AccountThrottle(database: try FrontEndDatabase(path: path), policy: policy)
            #expect(try await throttle.recordFailure("Alice", now: now) == (1, false))
            #expect(try await throttle.check("alice", now: now) == .allowed)
            #expect(try await throttle.recordFailure("alice", now: now) == (2, false))
        }
        let reopened = AccountThrottle(database: try FrontEndDatabase(path: path), policy: policy)
        guard case .wait(let until) = try await reopened.check("ALICE", now: now.addingTimeInterval(5)) else {
            Issue.record("expected a wait after two failures")
            return
        }
        #expect(abs(until.timeIntervalSince(now.addingTimeInterval(10))) < 0.01)
        #expect(try await reopened.check("alice", now: now.addingTimeInterval(11)) == .allowed)
        #expect(try await reopened.recordFailure("alice", now: now) == (3, true))
        #expect(try await reopened.check("alice", now: now.addingTimeInterval(100_000)) == .locked)
        try await reopened.reset("alice")
        #expect(try await reopened.check("alice") == .allowed)
    }

    @Test("an admitted attempt counts at once, so a concurrent one meets the wait it will earn")
    func admittedAttemptsCountAtOnce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ef-frontend-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let policy = ThrottlePolicy(accountFreeFailures: 1, lockoutAfter: 3, baseDelay: 10)
        let throttle = AccountThrottle(database: try FrontEndDatabase(path: directory.appendingPathComponent("f.sqlite").path), policy: policy)
        let now = Date()
        #expect(try await throttle.begin("alice", now: now) == .allowed)
        #expect(try await throttle.confirmFailure("alice", now: now) == (1, false))
        // The second attempt is admitted; a third arriving before the second's answer waits.
        #expect(try await throttle.begin("alice", now: now) == .allowed)
        #expect(Self.waitEnd(try await throttle.begin("alice", now: now.addingTimeInterval(0.5)), is: now.addingTimeInterval(10)))
        // Its failure moves the wait to start at the answer.
        #expect(try await throttle.confirmFailure("alice", now: now.addingTimeInterval(1)) == (2, false))
        #expect(Self.waitEnd(try await throttle.check("alice", now: now.addingTimeInterval(10.5)), is: now.addingTimeInterval(11)))
        // A success clears it all.
        #expect(try await throttle.begin("alice", now: now.addingTimeInterval(12)) == .allowed)
        try await throttle.reset("alice")
        #expect(try await throttle.status("alice") == (0, false))
        // Many at once: exactly one admitted once waits apply.
        try await throttle.recordFailure("bob", now: now)
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 { group.addTask { try await throttle.begin("bob", now: now) == .allowed } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 1)
    }

    /// Whether `decision` is a wait ending at `end` (SQLite keeps dates to the millisecond).
    static func waitEnd(_ decision: ThrottleDecision, is end: Date) -> Bool {
        guard case .wait(let until) = decision else { return false }
        return abs(until.timeIntervalSince(end)) < 0.01
    }

    @Test("the address throttle admits one attempt at a time once waits apply; a refused account attempt is given back")
    func addressAttempts() async {
        let throttle = AddressThrottle(policy: ThrottlePolicy(addressFreeFailures: 1, baseDelay: 10))
        let now = Date()
        #expect(await throttle.begin("10.0.0.1", now: now) == .allowed)
        #expect(await throttle.begin("10.0.0.1", now: now) == .allowed)
        #expect(await throttle.begin("10.0.0.1", now: now) == .wait(until: now.addingTimeInterval(10)))
        await throttle.release("10.0.0.1")
        #expect(await throttle.check("10.0.0.1", now: now) == .allowed)
        await throttle.confirmFailure("10.0.0.1", now: now.addingTimeInterval(1))
        #expect(await throttle.check("10.0.0.1", now: now) == .allowed)
    }

    @Test("sessions: rotation invalidates the old token; idle sessions expire; the store is bounded")
    func sessions() async {
        let store = SessionStore(limits: .init(idleTimeout: 10, absoluteTimeout: 100, capacity: 20))
        let now = Date()
        let (token, session) = await store.create(now: now)
        #expect(await store.session(forToken: token, now: now)?.key == session.key)
        let rotated = await store.rotate(session, to: .awaitingDevice(username: "alice", requestId: "r"), now: now)
        #expect(await store.session(forToken: token, now: now) == nil)
        #expect(await store.session(forToken: rotated.token, now: now)?.username == "alice")
        #expect(rotated.session.csrfToken != session.csrfToken)
        #expect(await store.session(forToken: rotated.token, now: now.addingTimeInterval(11)) == nil)
        for _ in 0..<100 { _ = await store.create(now: now) }
        #expect(await store.count <= 20)
    }
}
