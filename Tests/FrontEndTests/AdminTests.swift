import Foundation
@testable import FrontEnd
import GRDB
import Hummingbird
import HummingbirdTesting
import IoTHub
import Testing

@Suite("Admin pages: who may see them (no I/O), filters, device reports, and the routes")
struct AdminTests {
    private static func account(_ name: String, role: AccountRole) -> UserAccount {
        UserAccount(username: name, passwordHash: "x", classes: ["banana"], threshold: 70, deviceId: "cam1", moduleId: nil, role: role, now: Date())
    }

    private static let proof = SignInProof(requestId: "r", deviceId: "cam1", className: "banana", confidence: 90, verifiedAt: Date())

    @Test("only an administrator who passed both factors, not locked, as stored now, is allowed")
    func access() {
        let admin = Self.account("root", role: .admin)
        let user = Self.account("alice", role: .user)
        #expect(AdminAccess.decide(stage: .authenticated(username: "root", proof: Self.proof), account: admin, locked: false) == .allowed(admin: "root"))
        #expect(AdminAccess.decide(stage: .authenticated(username: "ROOT", proof: Self.proof), account: admin, locked: false) == .allowed(admin: "root"))
        // A password alone is not enough, nor no session, nor a non-admin, nor a locked or deleted admin.
        #expect(AdminAccess.decide(stage: .awaitingDevice(username: "root", requestId: "r"), account: admin, locked: false) == .hidden)
        #expect(AdminAccess.decide(stage: .anonymous, account: admin, locked: false) == .hidden)
        #expect(AdminAccess.decide(stage: nil, account: admin, locked: false) == .hidden)
        #expect(AdminAccess.decide(stage: .authenticated(username: "alice", proof: Self.proof), account: user, locked: false) == .hidden)
        #expect(AdminAccess.decide(stage: .authenticated(username: "root", proof: Self.proof), account: admin, locked: true) == .hidden)
        #expect(AdminAccess.decide(stage: .authenticated(username: "root", proof: Self.proof), account: nil, locked: false) == .hidden)
        // The account looked up must be the session's.
        #expect(AdminAccess.decide(stage: .authenticated(username: "alice", proof: Self.proof), account: admin, locked: false) == .hidden)
    }

    @Test("administrators' accounts, one's own included, are not changed from the page")
    func refusals() {
        #expect(AdminAccess.refusal(admin: "root", target: Self.account("alice", role: .user)) == nil)
        #expect(AdminAccess.refusal(admin: "root", target: Self.account("Root", role: .admin)) != nil)
        #expect(AdminAccess.refusal(admin: "root", target: Self.account("other", role: .admin)) != nil)
    }

    @Test("audit filters: days in UTC, the end day included, bad values named and ignored, paging")
    func auditQuery() throws {
        let query = AuditQuery(parameters: ["user": " alice ", "outcome": "found", "from": "2026-12-01", "to": "2026-12-02", "page": "3"])
        #expect(query.username == "alice")
        #expect(query.outcome == "found")
        #expect(query.from == AuditQuery.day("2026-12-01"))
        #expect(query.to == AuditQuery.day("2026-12-03"))
        #expect(query.offset == 2 * AuditQuery.pageSize)
        #expect(query.problems.isEmpty)
        let again = AuditQuery(parameters: Dictionary(uniqueKeysWithValues: (URLComponents(string: "?" + query.queryString(page: 3))?.queryItems ?? []).map { ($0.name, $0.value ?? "") }))
        #expect(again == query)
        let bad = AuditQuery(parameters: ["outcome": "x' OR 1=1", "from": "2026-02-30", "to": "yesterday", "page": "0", "user": String(repeating: "a", count: 65)])
        #expect(bad.outcome == nil && bad.from == nil && bad.to == nil && bad.page == 1 && bad.username == nil)
        #expect(bad.problems.count == 5)
        #expect(AuditQuery(parameters: ["page": "1001"]).page == 1)
        #expect(AuditQuery.dayText(try #require(AuditQuery.day("2024-02-29"))) == "2024-02-29")
    }

    @Test("device report: registry and twin read, readiness and its problems in words")
    func deviceReport() throws {
        var identity = DeviceIdentity(deviceId: "cam1")
        identity.connectionState = "Connected"
        let reported: [String: JSONValue] = [
            "agentSettings": .object(["model": .string("efficientnet-lite0"), "modelError": .null, "requestsQueue": .string("requests-cam1"),
                                      "responsesContainer": .string("results-cam1"), "revision": .int(3)]),
            "camera": .object(["working": .bool(true), "problem": .null]),
        ]
        var module = ModuleIdentity(moduleId: "edgefactor", deviceId: "cam1")
        module.connectionState = "Connected"
        let ready = DeviceReport(identity: identity, twin: Twin(deviceId: "cam1", properties: .init(reported: reported)), modules: [module])
        #expect(ready.connected && ready.ready && ready.problems.isEmpty)
        #expect(ready.model == "efficientnet-lite0" && ready.settingsRevision == "3" && ready.requestsQueue == "requests-cam1")

        var broken = reported
        broken["camera"] = .object(["working": .bool(false), "problem": .string("no frames")])
        broken["agentSettings"] = .object(["model": .string("m"), "modelError": .string("file missing")])
        module.connectionState = "Disconnected"
        let report = DeviceReport(identity: identity, twin: Twin(deviceId: "cam1", properties: .init(reported: broken)), modules: [module])
        #expect(!report.ready)
        #expect(report.problems == ["model: file missing", "camera: no frames", "module edgefactor is not connected"])

        let silent = DeviceReport(identity: DeviceIdentity(deviceId: "cam2"), twin: nil, modules: [])
        #expect(!silent.connected && silent.model == nil && silent.problems == ["its agent is not connected to the hub"])
        let row = AdminController.row(silent, users: ["bob"])
        #expect(row.stateText == "Offline" && row.users == "bob" && row.model == "not reported")
    }

    /// Signs `browser` in with both factors against the simulated device.
    private func signInFully(_ browser: BrowserSession, _ username: String) async throws -> String {
        let posted = try await browser.signIn(username)
        let requestId = try #require(posted.requestId)
        #expect(try await browser.waitForOutcome(requestId)["phase"] as? String == "found")
        try await browser.get("/verify/\(requestId)")
        let completed = try await browser.post("/verify/\(requestId)/complete", form: ["csrf": try #require(browser.csrf)])
        #expect(completed.location == "/account")
        return requestId
    }

    @Test("routes: hidden from everyone but a signed-in admin; actions need the form token, are audited, and lock for real")
    func routes() async throws {
        let device = SimulatedDevice()
        let harness = try await FrontEndHarness(device: device)
        try await harness.users.add(username: "root", password: FrontEndHarness.password, classes: ["banana"], threshold: 70, deviceId: "cam1", moduleId: "edgefactor", role: .admin)
        try await harness.test { client in
            let anonymous = BrowserSession(client)
            try await anonymous.get("/")
            for path in ["/admin", "/admin/users", "/admin/audit", "/admin/devices", "/admin/dead-letters", "/admin/users/alice"] {
                #expect(try await anonymous.get(path).status == .notFound, "\(path)")
            }
            // A person with both factors but no admin role gets the same 404, for pages and actions.
            let alice = BrowserSession(client)
            _ = try await signInFully(alice, "alice")
            #expect(try await alice.get("/admin/users").status == .notFound)
            #expect(!(try await alice.get("/account").text.contains("/admin")))
            #expect(try await alice.post("/admin/users/root/lock", form: ["csrf": try #require(alice.csrf)]).status == .notFound)

            // An admin with the password only: still nothing.
            let root = BrowserSession(client)
            let halfway = try await root.signIn("root")
            #expect(try await root.get("/admin/users").status == .notFound)
            let requestId = try #require(halfway.requestId)
            #expect(try await root.waitForOutcome(requestId)["phase"] as? String == "found")
            try await root.get("/verify/\(requestId)")
            #expect(try await root.post("/verify/\(requestId)/complete", form: ["csrf": try #require(root.csrf)]).location == "/account")
            #expect(try await root.get("/account").text.contains(#"href="/admin""#))
            #expect(try await root.get("/admin").location == "/admin/users")
            let users = try await root.get("/admin/users")
            #expect(users.status == .ok)
            #expect(users.text.contains("Lock alice") && !users.text.contains("Lock root"))

            // Without the session's token the action is refused and nothing changes.
            #expect(try await root.post("/admin/users/alice/lock", form: ["csrf": "forged"]).status == .forbidden)
            #expect(try await LoginFailures(database: harness.database).status("alice").locked == false)
            // One's own account is not locked from the page.
            #expect(try await root.post("/admin/users/root/lock", form: ["csrf": try #require(root.csrf)]).status == .forbidden)

            let locked = try await root.post("/admin/users/alice/lock", form: ["csrf": try #require(root.csrf)])
            #expect(locked.location == "/admin/users/alice?done=locked")
            #expect(try await LoginFailures(database: harness.database).status("alice").locked)
            #expect(try await alice.get("/account").location == "/", "the locked account's session ended")
            let again = BrowserSession(client)
            #expect(try await again.signIn("alice").status == .tooManyRequests)

            let action = try #require(try await AuditLog(database: harness.database).recent().first { $0.kind == .adminAction && $0.outcome == "locked" })
            #expect(action.actor == "root" && action.username == "alice")

            // The audit page, filtered, with the evidence of root's sign-in served through the front-end.
            let audit = try await root.get("/admin/audit?user=root&outcome=found")
            #expect(audit.status == .ok)
            #expect(audit.text.contains("/admin/evidence/\(requestId)"))
            let evidence = try await root.get("/admin/evidence/\(requestId)")
            #expect(evidence.status == .ok && evidence.headers[.contentType] == "image/jpeg")
            #expect(Data(buffer: evidence.body) == device.image)
            #expect(try await alice.get("/admin/evidence/\(requestId)").status == .notFound)
            #expect(try await root.get("/admin/evidence/0123456789abcdef0123456789abcdef").status == .notFound)

            // Unlock, and alice signs in again.
            #expect(try await root.post("/admin/users/alice/unlock", form: ["csrf": try #require(root.csrf)]).status == .seeOther)
            #expect(try await BrowserSession(client).signIn("alice").status == .seeOther)

            // A new password: the policy applies, then it works.
            #expect(try await root.post("/admin/users/alice/password", form: ["csrf": try #require(root.csrf), "password": "short"]).status == .badRequest)
            #expect(try await root.post("/admin/users/alice/password", form: ["csrf": try #require(root.csrf), "password": "a new long passphrase"]).status == .seeOther)
            #expect(try await BrowserSession(client).signIn("alice", "a new long passphrase").status == .seeOther)

            // Taking the role away ends access at the next request.
            try await harness.users.update(username: "root", changes: .init(role: .user))
            #expect(try await root.get("/admin/users").status == .notFound)
        }
    }

    @Test("the role survives the database; new and migrated accounts are users")
    func roleStored() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ef-admin-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("f.sqlite").path
        let users = UserStore(database: try FrontEndDatabase(path: path), bcryptCost: 4)
        try await users.add(username: "bob", password: FrontEndHarness.password, classes: ["banana"], threshold: 70, deviceId: "cam1", moduleId: nil)
        try await users.add(username: "root", password: FrontEndHarness.password, classes: ["banana"], threshold: 70, deviceId: "cam1", moduleId: nil, role: .admin)
        let reopened = UserStore(database: try FrontEndDatabase(path: path), bcryptCost: 4)
        #expect(try await reopened.find("bob")?.role == .user)
        #expect(try await reopened.find("root")?.role == .admin)
    }

    @Test("a database from before the admin migration keeps its accounts, all of them users")
    func migration() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ef-admin-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("f.sqlite").path
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            let old = try DatabaseQueue(path: path)
            try FrontEndDatabase.migrator.migrate(old, upTo: "v3-audit-request-index")
            try await old.write { db in
                try db.execute(sql: """
                    INSERT INTO account (username, passwordHash, classes, threshold, deviceId, createdAt, updatedAt)
                    VALUES ('carol', 'x', '["banana"]', 70, 'cam1', ?, ?)
                    """, arguments: [Date(), Date()])
            }
        }
        let database = try FrontEndDatabase(path: path)
        #expect(try await UserStore(database: database).find("carol")?.role == .user)
        try await AuditLog(database: database).record(AuditEvent(kind: .adminAction, username: "carol", outcome: "locked", actor: "root"))
        #expect(try await AuditLog(database: database).recent().first?.actor == "root")
    }
}
