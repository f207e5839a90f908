import AzureStorage
import Crypto
import Foundation
@testable import FrontEnd
import HubService
import IoTHub
import Logging
import StorageService
import TestSupport
import Verification

/// The built-in hub and storage on loopback ports, in-process, as the front-end meets them in a
/// deployment: the front-end talks to them only through ``AzureVerificationBackend``.
struct LiveServices: Sendable {
    static let deviceId = "cam1"
    static let moduleId = "edgefactor"

    private let local: LocalServices
    let deviceSecret = SharedSecret.generate()
    let logger: Logger

    var root: URL { local.root }
    var storage: RunningStorageServer { local.storage }
    var hub: RunningHubServer { local.hub }

    /// Runs `body` with both servers running (``withLocalServices``) and the device's module and
    /// container made; the servers shut down, awaited, when it returns or throws.
    static func with<Result>(_ body: (LiveServices) async throws -> Result) async throws -> Result {
        var logger = Logger(label: "frontend-test")
        logger.logLevel = ProcessInfo.processInfo.environment["FRONTEND_TEST_LOG"] == nil ? .critical : .debug
        return try await withLocalServices(logger: logger) { (local: LocalServices) in
            let services = LiveServices(local: local, logger: logger)
            try await services.hub.addModule(deviceId: Self.deviceId, moduleId: Self.moduleId)
            try await services.container.create()
            return try await body(services)
        }
    }

    /// Stops the hub gracefully while the test goes on.
    func stopHub() async { await local.stopHub() }

    var container: BlobContainerClient {
        BlobContainerClient(connectionString: storage.storageConnectionString, containerName: DeviceStorageNames(deviceId: Self.deviceId).responsesContainer)
    }

    var backend: AzureVerificationBackend {
        AzureVerificationBackend(hub: hub.serviceClient(), container: container)
    }

    var secrets: StaticDeviceSecrets {
        StaticDeviceSecrets([Self.deviceId: deviceSecret])
    }

    /// A module connected over MQTT that answers `ProcessRequest` by checking the sealed request
    /// and storing a sealed result and image, as the real module and agent together do. Used where
    /// a test needs to steer the device's answer (a timeout, say); the end-to-end tests run the
    /// real module and agent.
    func connectStandInModule(delay: Duration = .milliseconds(100), outcome: VerificationOutcome = .found, confidence: Double = 91.5) async throws -> ModuleClient {
        let connection = try #require(try await hub.connectionString(deviceId: Self.deviceId, moduleId: Self.moduleId))
        let client = ModuleClient(connectionString: connection, options: hub.clientOptions(plainTCP: true))
        let container = self.container
        let secret = deviceSecret
        await client.onMethod { method in
            guard method.name == "ProcessRequest",
                  let payload = try? ProcessRequestPayload.decode(method.payload),
                  let envelope = payload.request,
                  let request = try? envelope.open(VerificationRequest.self, kind: .request, secret: secret),
                  (try? request.validate()) != nil
            else { return MethodResponse(status: 400, payload: Data("{\"error\":\"bad request\"}".utf8)) }
            try? await Task.sleep(for: delay)
            let image = Data("stand-in JPEG for \(request.requestId)".utf8)
            let digest = SHA256.hash(data: image).map { String(format: "%02x", $0) }.joined()
            let result = VerificationResult(
                requestId: request.requestId, deviceId: request.deviceId, className: request.className, outcome: outcome,
                confidence: confidence, imageSHA256: outcome == .found ? digest : nil,
                blobName: outcome == .found ? ResultLocation.imageBlob(for: request.requestId) : nil, capturedAt: Date())
            if outcome == .found {
                _ = try? await container.blob(ResultLocation.imageBlob(for: request.requestId)).upload(Array(image), contentType: "image/jpeg")
            }
            if let sealed = try? SignedEnvelope.seal(result, kind: .result, keyId: request.deviceId, secret: secret) {
                _ = try? await container.blob(ResultLocation.resultBlob(for: request.requestId)).upload(Array(sealed.jsonData()), contentType: "application/json")
            }
            return MethodResponse(status: 200, payload: Data("{\"accepted\":true}".utf8))
        }
        try await client.connect()
        return client
    }
}

import Testing
