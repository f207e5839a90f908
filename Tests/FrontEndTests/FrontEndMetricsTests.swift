import Foundation
@testable import FrontEnd
import HummingbirdTesting
import Observability
import TestSupport
import Testing

@Suite("Front-end metrics, readiness and access log", .serialized)
struct FrontEndMetricsTests {
    @Test("sign-ins are counted by phase and outcome; /readyz turns 503 when the hub goes away")
    func signInsAndReadiness() async throws {
        try await LiveServices.with { services in
            try await withFixture(try await services.connectStandInModule(), tearDown: { await $0.close() }) { module in
                let log = CapturedLog()
                var configuration = FrontEndConfiguration(port: 0, bcryptCost: 4)
                configuration.verification = VerificationSettings(requestLifetime: .seconds(20), resultGrace: 1, initialPollInterval: .milliseconds(50), maximumPollInterval: .milliseconds(200))
                configuration.metricsEndpoint = OperatorEndpoint(port: 0)
                configuration.accessLog = true
                let database = try FrontEndDatabase.inMemory()
                try await UserStore(database: database, bcryptCost: 4).add(
                    username: "alice", password: FrontEndHarness.password, classes: ["banana"], threshold: 70, deviceId: LiveServices.deviceId, moduleId: LiveServices.moduleId)
                let frontEnd = FrontEnd(configuration: configuration, database: database, backend: services.backend, secrets: services.secrets, logger: log.logger(label: "frontend"))
                let app = try await frontEnd.makeApplication()
                try await app.test(.live) { client in
                    let port = try #require(await frontEnd.metricsPort(), "the metrics endpoint did not start")
                    let browser = BrowserSession(client)
                    #expect(try await browser.signIn("alice", "not the password").status == .unauthorized)
                    let requestId = try #require(try await browser.signIn().requestId)
                    #expect(try await browser.waitForOutcome(requestId)["phase"] as? String == "found")

                    let metrics = try PrometheusText(parsing: try await RawHTTP.get(port: port, "/metrics").body)
                    let signIns = "edgefactor_frontend_sign_ins_total"
                    #expect(metrics.value(signIns, ["phase": "password", "outcome": "rejected"]) == 1)
                    #expect(metrics.value(signIns, ["phase": "password", "outcome": "accepted"]) == 1)
                    #expect(metrics.value(signIns, ["phase": "second_factor", "outcome": "found"]) == 1)
                    #expect(metrics.value(signIns, ["phase": "second_factor", "outcome": "not-found"]) == 0)
                    #expect(metrics.value("edgefactor_frontend_sign_in_phase_duration_seconds_count", ["phase": "password"]) == 2)
                    #expect(metrics.value("edgefactor_frontend_sign_in_phase_duration_seconds_count", ["phase": "second_factor"]) == 1)
                    #expect(metrics.value("edgefactor_frontend_verifications_in_flight") == 0)
                    #expect(metrics.value("edgefactor_frontend_http_requests_total", ["operation": "POST /login", "status": "401"]) == 1)
                    #expect(metrics.value("edgefactor_frontend_http_requests_total", ["operation": "POST /login", "status": "303"]) == 1)

                    var ready = try await RawHTTP.get(port: port, "/readyz")
                    #expect(ready.status == 200)
                    #expect(ready.body == #"{"ready":true,"database":true,"hub":true,"storage":true}"#)
                    await services.stopHub()
                    ready = try await RawHTTP.get(port: port, "/readyz")
                    #expect(ready.status == 503)
                    #expect(ready.body == #"{"ready":false,"database":true,"hub":false,"storage":true}"#)
                    #expect(try await RawHTTP.get(port: port, "/healthz").status == 200)
                }
                let access = log.all.filter { $0.metadata["duration_ms"] != nil }
                #expect(access.contains { $0.message == "POST /login 401" })
                #expect(access.contains { $0.message.hasPrefix("GET /verify/") && $0.message.hasSuffix(" 200") && $0.metadata["operation"] != nil })
                #expect(access.allSatisfy { !$0.text.contains("password") && !$0.text.contains("?") })
            }
        }
    }
}
