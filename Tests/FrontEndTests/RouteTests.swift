import Foundation
@testable import FrontEnd
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing
import Verification

@Suite("Front-end routes (HummingbirdTesting router, simulated device)")
struct RouteTests {
    @Test("the sign-in page sets a session cookie (HttpOnly, SameSite=Lax) and security headers")
    func signInPage() async throws {
        let harness = try await FrontEndHarness(device: SimulatedDevice())
        try await harness.test { client in
            let response = try await client.execute(uri: "/", method: .get)
            #expect(response.status == .ok)
            let cookie = try #require(response.headers[values: .setCookie].first)
            #expect(cookie.hasPrefix("edgefactor_session="))
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(!cookie.contains("Secure"))
            let csp = try #require(response.headers[.contentSecurityPolicy])
            #expect(csp.contains("frame-ancestors 'none'"))
            #expect(csp.contains("script-src 'self'"))
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
            #expect(response.headers.value(of: "X-Frame-Options") == "DENY")
            #expect(response.headers[.cacheControl] == "no-store")
            let body = String(buffer: response.body)
            #expect(body.contains(#"<label for="username">"#))
            #expect(body.contains(#"autocomplete="current-password""#))
            #expect(body.contains(#"name="csrf""#))
        }
    }

    @Test("behind TLS the cookie is Secure with the __Host- prefix, and HSTS is sent")
    func secureCookie() async throws {
        let harness = try await FrontEndHarness(device: SimulatedDevice()) { $0.behindTLS = true }
        try await harness.test { client in
            let response = try await client.execute(uri: "/", method: .get)
            let cookie = try #require(response.headers[values: .setCookie].first)
            #expect(cookie.hasPrefix("__Host-edgefactor="))
            #expect(cookie.contains("Secure"))
            #expect(cookie.contains("Path=/"))
            #expect(response.headers[.strictTransportSecurity] != nil)
        }
    }

    @Test("a sign-in without the CSRF token, or from another origin, is refused")
    func csrf() async throws {
        let device = SimulatedDevice()
        let harness = try await FrontEndHarness(device: device)
        try await harness.test { client in
            let browser = BrowserSession(client)
            try await browser.get("/")
            let noToken = try await browser.post("/login", form: ["username": "alice", "password": FrontEndHarness.password])
            #expect(noToken.status == .forbidden)
            #expect(noToken.location == nil)
            try await browser.get("/")
            let wrongToken = try await browser.post("/login", form: ["username": "alice", "password": FrontEndHarness.password, "csrf": "x" + (browser.csrf ?? "")])
            #expect(wrongToken.status == .forbidden)
            try await browser.get("/")
            let token = try #require(browser.csrf)
            let crossSite = try await browser.post(
                "/login", form: ["username": "alice", "password": FrontEndHarness.password, "csrf": token],
                headers: [.origin: "http://evil.example"]
            )
            #expect(crossSite.status == .forbidden)
            #expect(await device.invocations.isEmpty)
        }
    }

    @Test("a wrong password and an unknown user get the same answer")
    func noEnumeration() async throws {
        let harness = try await FrontEndHarness(device: SimulatedDevice())
        try await harness.test { client in
            let browser = BrowserSession(client)
            let wrong = try await browser.signIn("alice", "not the password at all")
            let wrongBody = wrong.text
            let unknown = try await browser.signIn("mallory", "not the password at all")
            #expect(wrong.status == .unauthorized)
            #expect(unknown.status == wrong.status)
            #expect(wrongBody.contains("The user name or password is not right."))
            #expect(unknown.text.replacingOccurrences(of: "mallory", with: "alice").replacingOccurrences(of: browser.csrf ?? "", with: "")
                == wrongBody.replacingOccurrences(of: browser.csrf ?? "", with: ""))
        }
        let events = try await AuditLog(database: harness.database).recent()
        #expect(events.filter { $0.kind == .passwordRejected }.count == 2)
    }

    @Test("failures back off per account, then lock it; an administrator's reset unlocks it")
    func accountThrottling() async throws {
        // The waits run on a clock the test moves: a wait is over when the test says so, not after a sleep.
        // Whole seconds: the database keeps times to the millisecond.
        let clock = ManualWallClock()
        let harness = try await FrontEndHarness(device: SimulatedDevice()) {
            $0.throttle = ThrottlePolicy(accountFreeFailures: 2, lockoutAfter: 4, addressFreeFailures: 50, baseDelay: 60, maximumDelay: 60)
            $0.clock = clock
        }
        try await harness.test { client in
            let browser = BrowserSession(client)
            for _ in 0..<2 { #expect(try await browser.signIn("alice", "wrong password 1").status == .unauthorized) }
            #expect(try await browser.signIn("alice", "wrong password 2").status == .unauthorized)
            // Third failure: now a wait applies, even with the right password.
            let waiting = try await browser.signIn("alice", FrontEndHarness.password)
            #expect(waiting.status == .tooManyRequests)
            #expect(waiting.headers[.retryAfter] != nil)
            #expect(waiting.text.contains("Too many failed sign-ins for this account."))
            // Still waiting just before the wait ends, then a try is allowed again.
            clock.advance(by: .seconds(59))
            #expect(try await browser.signIn("alice", FrontEndHarness.password).status == .tooManyRequests)
            clock.advance(by: .seconds(1))
            #expect(try await browser.signIn("alice", "wrong password 3").status == .unauthorized)
            clock.advance(by: .seconds(60))
            let locked = try await browser.signIn("alice", FrontEndHarness.password)
            #expect(locked.status == .tooManyRequests)
            #expect(locked.text.contains("This account is locked."))
            // An unknown name locks the same way: no enumeration through lockout.
            for _ in 0..<4 {
                _ = try await browser.signIn("nobody", "wrong password")
                clock.advance(by: .seconds(60))
            }
            #expect(try await browser.signIn("nobody", "wrong password").text.contains("This account is locked."))

            try await LoginFailures(database: harness.database).reset("alice")
            let unlocked = try await browser.signIn("alice", FrontEndHarness.password)
            #expect(unlocked.status == .seeOther)
        }
    }

    @Test("concurrent sign-ins cannot slip past a wait: once waits apply, one attempt at a time is checked")
    func concurrentAttemptsMeetTheWait() async throws {
        let harness = try await FrontEndHarness(device: SimulatedDevice()) {
            $0.throttle = ThrottlePolicy(accountFreeFailures: 1, addressFreeFailures: 50, baseDelay: 60)
        }
        try await harness.test { client in
            let first = BrowserSession(client)
            #expect(try await first.signIn("alice", "wrong password 1").status == .unauthorized)
            // Eight guesses and the right password at once: the first admitted earns a 60 s wait
            // that every other one must meet, the right password included.
            var browsers: [BrowserSession] = []
            for _ in 0..<9 {
                let browser = BrowserSession(client)
                try await browser.get("/")
                browsers.append(browser)
            }
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for (index, browser) in browsers.enumerated() {
                    let password = index == 4 ? FrontEndHarness.password : "wrong password \(index)"
                    group.addTask { try await browser.signIn("alice", password).status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 != .tooManyRequests }.count == 1, "checked: \(statuses)")
        }
    }

    @Test("failures back off per client address across account names")
    func addressThrottling() async throws {
        let harness = try await FrontEndHarness(device: SimulatedDevice()) {
            $0.trustForwardedFor = true
            $0.throttle = ThrottlePolicy(accountFreeFailures: 50, addressFreeFailures: 3, baseDelay: 60)
        }
        try await harness.test { client in
            let attacker = BrowserSession(client)
            attacker.extraHeaders = [.init("X-Forwarded-For")!: "10.0.0.1, 192.0.2.7"]
            for index in 0..<4 {
                #expect(try await attacker.signIn("user\(index)", "guess \(index) password").status == .unauthorized)
            }
            let blocked = try await attacker.signIn("alice", FrontEndHarness.password)
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked.text.contains("from your network"))
            // Another address is not affected.
            let someoneElse = BrowserSession(client)
            someoneElse.extraHeaders = [.init("X-Forwarded-For")!: "192.0.2.8"]
            #expect(try await someoneElse.signIn().status == .seeOther)
        }
    }

    @Test("password, device sees the object, image to the owner only, protected page, single use, sign-out")
    func fullFlow() async throws {
        let device = SimulatedDevice(behaviour: .finds(confidence: 93.5))
        let harness = try await FrontEndHarness(device: device)
        try await harness.test { client in
            let browser = BrowserSession(client)
            try await browser.get("/")
            let anonymousCookie = browser.cookies["edgefactor_session"]
            let posted = try await browser.signIn()
            #expect(posted.status == .seeOther)
            let requestId = try #require(posted.requestId)
            #expect(requestId.count == 32)
            #expect(browser.cookies["edgefactor_session"] != anonymousCookie, "the session id rotates when the password is accepted")

            let waiting = try await browser.get("/verify/\(requestId)")
            #expect(waiting.status == .ok)
            #expect(waiting.text.contains("banana"))
            #expect(waiting.text.contains(#"http-equiv="refresh""#), "without JavaScript the page refreshes itself")

            let outcome = try await browser.waitForOutcome(requestId)
            #expect(outcome["phase"] as? String == "found")
            #expect(outcome["imageURL"] as? String == "/verify/\(requestId)/image")

            let invocation = try #require(await device.invocations.first)
            #expect(invocation.className == "banana")
            #expect(invocation.threshold == 70)
            #expect(invocation.moduleId == "edgefactor")
            #expect(invocation.expiresAt.timeIntervalSince(invocation.issuedAt) == 20)

            let image = try await browser.get("/verify/\(requestId)/image")
            #expect(image.status == .ok)
            #expect(image.headers[.contentType] == "image/jpeg")
            #expect(Data(buffer: image.body) == device.image)

            let result = try await browser.get("/verify/\(requestId)")
            #expect(result.text.contains("Verified"))
            #expect(result.text.contains("93.5 %"))

            // Another browser cannot see the image or the page.
            let stranger = BrowserSession(client)
            try await stranger.get("/")
            #expect(try await stranger.get("/verify/\(requestId)/image").status == .notFound)
            #expect(try await stranger.get("/verify/\(requestId)").status == .notFound)
            #expect(try await stranger.get("/account").location == "/")

            #expect(try await browser.get("/account").location == "/", "not signed in before completing")
            let token = try #require(browser.csrf)
            let beforeCompletion = browser.cookies
            let completed = try await browser.post("/verify/\(requestId)/complete", form: ["csrf": token])
            #expect(completed.location == "/account")
            #expect(browser.cookies != beforeCompletion, "the session id rotates when both factors pass")
            let account = try await browser.get("/account")
            #expect(account.status == .ok)
            #expect(account.text.contains("Welcome, alice"))
            #expect(account.text.contains("banana"))

            // The old cookie (before completion) does not carry the sign-in.
            let replay = BrowserSession(client)
            replay.cookies = beforeCompletion
            #expect(try await replay.get("/account").location == "/")
            #expect(try await replay.post("/verify/\(requestId)/complete", form: ["csrf": token]).location == "/")

            let signOut = try await browser.post("/logout", form: ["csrf": try #require(browser.csrf)])
            #expect(signOut.location == "/")
            #expect(try await browser.get("/account").location == "/")
        }
        let kinds = try await AuditLog(database: harness.database).recent().map(\.kind)
        #expect(kinds.contains(.passwordAccepted))
        #expect(kinds.contains(.verificationRequested))
        #expect(kinds.contains(.verificationCompleted))
        #expect(kinds.contains(.signedIn))
        #expect(kinds.contains(.signedOut))
        let completed = try #require(try await AuditLog(database: harness.database).recent().first { $0.kind == .verificationCompleted })
        #expect(completed.confidence == 93.5)
        #expect(completed.className == "banana")
        #expect(completed.deviceId == "cam1")
        #expect(completed.outcome == "found")
    }

    @Test("a result not sealed by the device asked decides nothing: the device's own still completes the sign-in")
    func plantedResultIsIgnored() async throws {
        let device = SimulatedDevice(behaviour: .plantedThenGenuine)
        let harness = try await FrontEndHarness(device: device)
        try await harness.test { client in
            let browser = BrowserSession(client)
            let requestId = try #require(try await browser.signIn().requestId)
            let outcome = try await browser.waitForOutcome(requestId)
            #expect(outcome["phase"] as? String == "found")
        }
        let completed = try #require(try await AuditLog(database: harness.database).recent().first { $0.kind == .verificationCompleted })
        #expect(completed.confidence == 88)
    }

    @Test("while the camera looks the page shows the best score so far, and after a miss the best match")
    func scoreSoFar() async throws {
        let device = SimulatedDevice(behaviour: .progressThenFinds)
        let harness = try await FrontEndHarness(device: device)
        try await harness.test { client in
            let browser = BrowserSession(client)
            let requestId = try #require(try await browser.signIn().requestId)
            var seen = false
            for _ in 0..<200 where !seen {
                let status = try await browser.get("/verify/\(requestId)/status")
                let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: status.body)) as? [String: Any])
                seen = (object["message"] as? String)?.contains("Best so far: 43 % of the 70 % needed.") == true
                if object["terminal"] as? Bool == true { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(seen)
            #expect(try await browser.waitForOutcome(requestId)["phase"] as? String == "found")
        }
        await device.setBehaviour(.doesNotFind)
        try await harness.test { client in
            let browser = BrowserSession(client)
            let requestId = try #require(try await browser.signIn().requestId)
            let outcome = try await browser.waitForOutcome(requestId)
            #expect(outcome["phase"] as? String == "not-found")
            #expect((outcome["message"] as? String)?.contains("The best match was 12 % of the 70 % needed.") == true)
        }
    }

    @Test("a result sealed with another key is never accepted: the sign-in runs out instead")
    func forgedResultOnlyExpires() async throws {
        let device = SimulatedDevice(behaviour: .signsWithWrongKey)
        let harness = try await FrontEndHarness(device: device) {
            $0.verification = VerificationSettings(requestLifetime: .seconds(3), resultGrace: 0.5, initialPollInterval: .milliseconds(50), maximumPollInterval: .milliseconds(200))
        }
        try await harness.test { client in
            let browser = BrowserSession(client)
            let requestId = try #require(try await browser.signIn().requestId)
            let outcome = try await browser.waitForOutcome(requestId)
            #expect(outcome["phase"] as? String == "expired")
            #expect(try await browser.get("/verify/\(requestId)/image").status == .notFound)
        }
        let completed = try #require(try await AuditLog(database: harness.database).recent().first { $0.kind == .verificationCompleted })
        #expect(completed.detail?.contains("not sealed by device cam1") == true)
    }

    @Test("each failure of the second factor is shown as itself", arguments: [
        (SimulatedDevice.Behaviour.offline, "device-offline", "offline"),
        (.timesOut, "timed-out", "did not respond in time"),
        (.doesNotFind, "not-found", "did not see a banana"),
        (.uploadsDifferentImage, "invalid", "could not be verified"),
        (.refuses(status: 401), "rejected", "refused"),
    ])
    func failures(behaviour: SimulatedDevice.Behaviour, phase: String, words: String) async throws {
        let device = SimulatedDevice(behaviour: behaviour)
        let harness = try await FrontEndHarness(device: device)
        try await harness.test { client in
            let browser = BrowserSession(client)
            let requestId = try #require(try await browser.signIn().requestId)
            let outcome = try await browser.waitForOutcome(requestId)
            #expect(outcome["phase"] as? String == phase)
            let page = try await browser.get("/verify/\(requestId)")
            #expect(page.text.contains(words))
            #expect(try await browser.get("/verify/\(requestId)/image").status == .notFound)
            #expect(try await browser.post("/verify/\(requestId)/complete", form: ["csrf": try #require(browser.csrf)]).location == "/")
            #expect(try await browser.get("/account").location == "/")
            // Starting again gives a fresh sign-in form.
            let again = try await browser.get("/")
            #expect(again.text.contains(#"name="password""#))
        }
    }

    @Test("a request the device never answers expires")
    func expiry() async throws {
        let harness = try await FrontEndHarness(device: SimulatedDevice(behaviour: .acceptsAndStaysSilent)) {
            $0.verification.requestLifetime = .seconds(1)
            $0.verification.resultGrace = 0.2
        }
        try await harness.test { client in
            let browser = BrowserSession(client)
            let requestId = try #require(try await browser.signIn().requestId)
            let outcome = try await browser.waitForOutcome(requestId)
            #expect(outcome["phase"] as? String == "expired")
        }
    }

    @Test("a device with no provisioned secret is reported, not contacted")
    func missingSecret() async throws {
        let device = SimulatedDevice()
        let harness = try await FrontEndHarness(backend: device, secrets: StaticDeviceSecrets([:]))
        try await harness.test { client in
            let browser = BrowserSession(client)
            let requestId = try #require(try await browser.signIn().requestId)
            #expect(try await browser.waitForOutcome(requestId)["phase"] as? String == "device-unknown")
            #expect(await device.invocations.isEmpty)
        }
    }

    @Test("the original endpoints: /sendmessage, /objectclassification, hasimageuploaded")
    func compatibility() async throws {
        let harness = try await FrontEndHarness(device: SimulatedDevice())
        try await harness.test { client in
            let browser = BrowserSession(client)
            let posted = try await browser.signIn(path: "/sendmessage")
            #expect(posted.status == .seeOther)
            let location = try #require(posted.location)
            #expect(location.hasPrefix("/objectclassification?requestId="))
            #expect(location.contains("className=banana"))
            let requestId = try #require(posted.requestId)
            let page = try await browser.get(location)
            #expect(page.status == .ok)
            #expect(page.text.contains("banana"))
            _ = try await browser.waitForOutcome(requestId)
            let uploaded = try await browser.get("/objectclassification/\(requestId)/hasimageuploaded")
            #expect(uploaded.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(uploaded.text == "\"/verify/\(requestId)/image\"")
            let stranger = BrowserSession(client)
            #expect(try await stranger.get("/objectclassification/\(requestId)/hasimageuploaded").text == "\"\"")
        }
    }

    @Test("the event stream sends each change as JSON and ends with the outcome")
    func serverSentEvents() async throws {
        let harness = try await FrontEndHarness(device: SimulatedDevice())
        try await harness.test { client in
            let browser = BrowserSession(client)
            let requestId = try #require(try await browser.signIn().requestId)
            let events = try await browser.get("/verify/\(requestId)/events")
            #expect(events.headers[.contentType] == "text/event-stream")
            let dataLines = events.text.split(separator: "\n").filter { $0.hasPrefix("data: ") }
            #expect(dataLines.count >= 2)
            let last = try #require(dataLines.last)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(last.dropFirst(6).utf8)) as? [String: Any])
            #expect(object["phase"] as? String == "found")
            #expect(object["terminal"] as? Bool == true)
        }
    }

    @Test("malformed ids and oversize forms get clear errors")
    func badInput() async throws {
        let harness = try await FrontEndHarness(device: SimulatedDevice())
        try await harness.test { client in
            let browser = BrowserSession(client)
            #expect(try await browser.get("/verify/..%2F..%2Fetc").status == .notFound)
            #expect(try await browser.get("/verify/\(String(repeating: "a", count: 32))/status").status == .notFound)
            try await browser.get("/")
            let huge = try await browser.post("/login", form: ["username": String(repeating: "x", count: 40_000), "password": "p", "csrf": browser.csrf ?? ""])
            #expect(huge.status == .badRequest)
        }
    }
}
