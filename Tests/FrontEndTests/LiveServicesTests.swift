import AzureStorage
import Foundation
@testable import FrontEnd
import HubService
import IoTHub
import Testing
import TestSupport
import Verification

@Suite("Front-end against the real built-in hub and storage", .serialized)
struct LiveServicesTests {
    @Test("the backend maps hub errors: offline, unknown device, timeout")
    func backendErrors() async throws {
        try await LiveServices.with { services in
            let backend = services.backend
            await #expect(throws: VerificationBackendError.deviceOffline) {
                try await backend.invokeProcessRequest(deviceId: LiveServices.deviceId, moduleId: LiveServices.moduleId, payload: Data("{}".utf8), timeout: .seconds(2))
            }
            await #expect(throws: VerificationBackendError.deviceUnknown) {
                try await backend.invokeProcessRequest(deviceId: "no-such-device", moduleId: nil, payload: Data("{}".utf8), timeout: .seconds(2))
            }
            // IoT Hub (and the built-in hub) wait at least 5 s for a method answer.
            try await withFixture(try await services.connectStandInModule(delay: .seconds(30)), tearDown: { await $0.close() }) { module in
                let request = try VerificationRequest.make(deviceId: LiveServices.deviceId, moduleId: LiveServices.moduleId, className: "banana", threshold: 70)
                let envelope = try SignedEnvelope.seal(request, kind: .request, keyId: LiveServices.deviceId, secret: services.deviceSecret)
                let payload = try ProcessRequestPayload(request: request, envelope: envelope).jsonData()
                await #expect(throws: VerificationBackendError.timedOut) {
                    try await backend.invokeProcessRequest(deviceId: LiveServices.deviceId, moduleId: LiveServices.moduleId, payload: payload, timeout: .seconds(5))
                }
                // Blobs: absent is nil, present is returned, oversize is refused.
                #expect(try await backend.readBlob(named: "0123/result.json", maximumSize: 100) == nil)
                _ = try await services.container.blob("big/result.json").upload(Array(repeating: UInt8(ascii: "x"), count: 300))
                await #expect(throws: VerificationBackendError.tooLarge(101)) { try await backend.readBlob(named: "big/result.json", maximumSize: 100) }
                #expect(try await backend.readBlob(named: "big/result.json", maximumSize: 300)?.count == 300)
            }
        }
    }

    @Test("sign-in through the real hub and storage: found, image served, account page")
    func signInOverRealServices() async throws {
        try await LiveServices.with { services in
            try await withFixture(try await services.connectStandInModule(), tearDown: { await $0.close() }) { module in
                let harness = try await FrontEndHarness(backend: services.backend, secrets: services.secrets)
                try await harness.test { client in
                    let browser = BrowserSession(client)
                    let requestId = try #require(try await browser.signIn().requestId)
                    let outcome = try await browser.waitForOutcome(requestId)
                    #expect(outcome["phase"] as? String == "found")
                    let image = try await browser.get("/verify/\(requestId)/image")
                    #expect(String(buffer: image.body) == "stand-in JPEG for \(requestId)")
                    #expect(try await browser.get("/verify/\(requestId)").text.contains("Verified"))
                    let completed = try await browser.post("/verify/\(requestId)/complete", form: ["csrf": try #require(browser.csrf)])
                    #expect(completed.location == "/account")
                    #expect(try await browser.get("/account").status == .ok)
                }
            }
        }
    }

    @Test("an offline device is reported as offline")
    func offlineDevice() async throws {
        try await LiveServices.with { services in
            let harness = try await FrontEndHarness(backend: services.backend, secrets: services.secrets)
            try await harness.test { client in
                let browser = BrowserSession(client)
                let requestId = try #require(try await browser.signIn().requestId)
                #expect(try await browser.waitForOutcome(requestId)["phase"] as? String == "device-offline")
                #expect(try await browser.get("/verify/\(requestId)").text.contains("Your device is offline"))
            }
        }
    }
}
