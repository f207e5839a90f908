public import AzureStorage
public import Foundation
public import IoTHub
import Verification

/// The real backend: direct methods (`ProcessRequest`, `EnrollObject`, `RemoveObject`) through the IoT Hub service API, results read from Blob
/// storage by exact name. Works against Azure and against EdgeFactor's built-in services alike.
public struct AzureVerificationBackend: VerificationBackend {
    let hub: ServiceClient
    let container: BlobContainerClient?
    let storage: StorageConnectionString?

    /// A backend reading one shared results container.
    /// - Parameters:
    ///   - hub: a service client with a policy allowed to invoke methods (`service connect`).
    ///   - container: the private container the devices write results to.
    ///   - storage: the account of `container`, to read results the module's settings moved to
    ///     another container of the same account (nil: only `container` is read).
    public init(hub: ServiceClient, container: BlobContainerClient, storage: StorageConnectionString? = nil) {
        self.hub = hub
        self.container = container
        self.storage = storage
    }

    /// A backend reading each device's results from the device's own container (the default set-up).
    public init(hub: ServiceClient, storage: StorageConnectionString) {
        self.hub = hub
        self.container = nil
        self.storage = storage
    }

    public func invokeProcessRequest(deviceId: String, moduleId: String?, payload: Data, timeout: Duration) async throws(VerificationBackendError) -> DeviceAnswer {
        try await invokeMethod(name: "ProcessRequest", deviceId: deviceId, moduleId: moduleId, payload: payload, timeout: timeout)
    }

    public func invokeMethod(name: String, deviceId: String, moduleId: String?, payload: Data, timeout: Duration) async throws(VerificationBackendError) -> DeviceAnswer {
        do {
            let response = try await hub.invokeMethod(
                deviceId: deviceId, moduleId: moduleId, methodName: name, payload: payload, responseTimeout: timeout
            )
            return DeviceAnswer(status: response.status, payload: response.payload)
        } catch {
            throw Self.map(error)
        }
    }

    /// Maps the hub's answer to what the user is told.
    static func map(_ error: IoTHubServiceError) -> VerificationBackendError {
        switch error.errorCode ?? error.status {
        case IoTHubServiceError.deviceNotOnline: .deviceOffline
        case IoTHubServiceError.gatewayTimeout, 504: .timedOut
        case IoTHubServiceError.deviceNotFound, IoTHubServiceError.moduleNotFound: .deviceUnknown
        case IoTHubServiceError.throttled, 429: .throttled
        default:
            switch error.status {
            case 404: .deviceUnknown
            case 429: .throttled
            // No HTTP answer before the request's own deadline, the connection up: the device did not answer.
            case 0 where error.message.contains("deadlineExceeded"): .timedOut
            // No connection at all (refused, or not made within the connect timeout).
            case 0: .hubUnreachable(error.description)
            default: .unavailable(error.description)
            }
        }
    }

    public func isDeviceConnected(_ deviceId: String) async -> Bool? {
        guard let device = try? await hub.getDevice(deviceId), let state = device.connectionState else { return nil }
        return state == "Connected"
    }

    /// The hub answers a registry read (a 404 for the made-up probe device counts), and storage
    /// answers a read of a blob that does not exist (404 counts; a refused key does not).
    public func dependencyReadiness() async -> (hub: Bool?, storage: Bool?) {
        async let hubReady = hubAnswers()
        async let storageReady = storageAnswers()
        return (await hubReady, await storageReady)
    }

    private func hubAnswers() async -> Bool {
        do {
            _ = try await hub.getDevice("edgefactor-readiness-probe")
            return true
        } catch {
            return error.status == 404
        }
    }

    private func storageAnswers() async -> Bool? {
        // One quick attempt (a probe asks again soon); the shared container's client retries at length.
        let quick = RetryPolicy(maximumAttempts: 1, attemptTimeout: .seconds(3), callTimeout: .seconds(3))
        let probe: BlobContainerClient
        if let storage {
            probe = BlobContainerClient(connectionString: storage, containerName: container?.containerName ?? "edgefactor-readiness-probe", retry: quick)
        } else if let container {
            probe = container
        } else {
            return nil
        }
        let finding = await StorageProbe.container(probe)
        return finding.reachable && (finding.refusal == nil || finding.refusal?.status == 404)
    }

    public var responsesContainerName: String? { container?.containerName }
    public var readsDeviceContainers: Bool { container == nil }

    public func readBlob(named name: String, maximumSize: Int) async throws(VerificationBackendError) -> Data? {
        try await readBlob(named: name, container: nil, maximumSize: maximumSize)
    }

    public func readBlob(named name: String, container containerName: String?, maximumSize: Int) async throws(VerificationBackendError) -> Data? {
        let source: BlobContainerClient
        if let containerName, containerName != container?.containerName {
            // Names come from the module's answer or a signed result; still, only valid names.
            guard let storage, AgentSettings.isValidStorageName(containerName) else {
                throw .unavailable("cannot read container \(containerName.prefix(63)): pass the storage account to the front-end's backend")
            }
            source = BlobContainerClient(connectionString: storage, containerName: containerName)
        } else if let container {
            source = container
        } else {
            throw .unavailable("no results container named: each device has its own, so the device's must be given")
        }
        do {
            // A ranged read bounds what a hostile or broken writer can make us hold in memory.
            let data = try await source.blob(name).download(range: 0...maximumSize)
            guard data.count <= maximumSize else { throw VerificationBackendError.tooLarge(data.count) }
            return data
        } catch let error as StorageError {
            switch (error.status, error.code) {
            case (404, _): return nil
            case (416, _): return Data()  // an empty blob has no byte 0
            case (0, _), (500..., _): throw .storageUnreachable(error.description)
            default: throw .unavailable(error.description)
            }
        } catch let error as VerificationBackendError {
            throw error
        } catch {
            throw .unavailable("\(error)")
        }
    }
}
