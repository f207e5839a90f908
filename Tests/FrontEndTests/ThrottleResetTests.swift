import Foundation
@testable import FrontEnd
import HummingbirdTesting
import Testing
import Verification

/// What may clear a throttle: only a sign-in that passed both factors, and only for its own
/// account; a right password alone clears nothing, and nothing clears an address's count.
@Suite("Throttles that must not reset")
struct ThrottleResetTests {
    @Test("a right password does not clear failed second factors: they add up to a wait")
    func secondFactorFailuresAccumulate() async throws {
        let device = SimulatedDevice(behaviour: .doesNotFind)
        await device.setAnswerDelay(.zero)
        let harness = try await FrontEndHarness(device: device) {
            $0.throttle = ThrottlePolicy(accountFreeFailures: 2, addressFreeFailures: 50, baseDelay: 60)
        }
        try await harness.test { client in
            for attempt in 1...3 {
                let browser = BrowserSession(client)
                let posted = try await browser.signIn()
                #expect(posted.status == .seeOther, "attempt \(attempt) has the right password")
                let outcome = try await browser.waitForOutcome(try #require(posted.requestId))
                #expect(outcome["phase"] as? String == "not-found")
            }
            // Three failed second factors: the right password now meets a wait like any guess.
            let waiting = try await BrowserSession(client).signIn()
            #expect(waiting.status == .tooManyRequests)
            #expect(waiting.text.contains("Too many failed sign-ins for this account."))
            #expect(try await LoginFailures(database: harness.database).status("alice").consecutive == 3)
        }
    }

    @Test("one account's right password clears neither the address's count nor another account's")
    func successClearsNothingElse() async throws {
        let harness = try await FrontEndHarness(device: SimulatedDevice()) {
            $0.trustForwardedFor = true
            $0.throttle = ThrottlePolicy(accountFreeFailures: 2, addressFreeFailures: 3, baseDelay: 60)
        }
        try await harness.users.add(username: "bob", password: "bob's own long passphrase", classes: ["banana"], threshold: 70, deviceId: "cam1", moduleId: "edgefactor")
        try await harness.test { client in
            // Bob's account earns a wait from another network.
            let bobsAttacker = BrowserSession(client)
            bobsAttacker.extraHeaders = [.init("X-Forwarded-For")!: "198.51.100.9"]
            for index in 0..<3 { #expect(try await bobsAttacker.signIn("bob", "guess \(index) for bob").status == .unauthorized) }

            // An attacker with an account of their own (alice) sprays guesses from one address.
            let attacker = BrowserSession(client)
            attacker.extraHeaders = [.init("X-Forwarded-For")!: "10.0.0.1, 192.0.2.7"]
            for index in 0..<3 { #expect(try await attacker.signIn("user\(index)", "guess \(index) password").status == .unauthorized) }
            let own = try await attacker.signIn("alice", FrontEndHarness.password)
            #expect(own.status == .seeOther)
            let outcome = try await attacker.waitForOutcome(try #require(own.requestId))  // the password was hers
            #expect(outcome["phase"] as? String == "found")
            let ownId = try #require(own.requestId)
            _ = try await attacker.get("/verify/\(ownId)")
            let completed = try await attacker.post("/verify/\(ownId)/complete", form: ["csrf": try #require(attacker.csrf)])
            #expect(completed.location == "/account", "alice passed both factors")

            let next = BrowserSession(client)
            next.extraHeaders = attacker.extraHeaders
            #expect(try await next.signIn("user3", "guess 3 password").status == .unauthorized)
            let blocked = try await next.signIn("user4", "guess 4 password")
            #expect(blocked.status == .tooManyRequests, "the address's failures were not cleared by alice's password")
            #expect(blocked.text.contains("from your network"))

            let bobLater = BrowserSession(client)
            bobLater.extraHeaders = [.init("X-Forwarded-For")!: "203.0.113.5"]
            #expect(try await bobLater.signIn("bob", "bob's own long passphrase").status == .tooManyRequests, "bob's failures still count")
        }
    }

    @Test("at most three verifications pending per account; other accounts are not held up")
    func perAccountCap() async throws {
        let harness = try await FrontEndHarness(device: SimulatedDevice(behaviour: .acceptsAndStaysSilent)) {
            $0.throttle = ThrottlePolicy(accountFreeFailures: 50, addressFreeFailures: 50)
        }
        try await harness.users.add(username: "bob", password: "bob's own long passphrase", classes: ["banana"], threshold: 70, deviceId: "cam1", moduleId: "edgefactor")
        try await harness.test { client in
            for _ in 0..<3 { #expect(try await BrowserSession(client).signIn().status == .seeOther) }
            let fourth = try await BrowserSession(client).signIn()
            #expect(fourth.status == .tooManyRequests)
            #expect(fourth.text.contains("already in progress"))
            #expect(try await BrowserSession(client).signIn("bob", "bob's own long passphrase").status == .seeOther)
        }
    }

    @Test("the global cap counts pending verifications only; finished ones make room")
    func globalCapCountsPendingOnly() async throws {
        let tracker = VerificationTracker(limits: .init(capacity: 2, perAccount: 5, finishedCapacity: 1))
        func pending(_ user: String) throws -> PendingVerification {
            let request = try VerificationRequest.make(deviceId: "cam1", moduleId: "m", className: "banana", threshold: 70, lifetime: .seconds(60))
            return PendingVerification(request: request, username: user, address: "a", sessionKey: "s-\(user)")
        }
        let first = try pending("u1")
        #expect(await tracker.start(first) == nil)
        #expect(await tracker.start(try pending("u2")) == nil)
        #expect(await tracker.start(try pending("u3")) == .busy)
        await tracker.advance(first.requestId, to: .notFound)
        #expect(await tracker.start(try pending("u3")) == nil, "a finished verification no longer counts against the cap")
        #expect(await tracker.count <= 3)
    }
}
