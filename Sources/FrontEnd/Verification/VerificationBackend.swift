public import Foundation
import Verification

/// What the front-end needs from the hub and storage, and nothing more: invoke a direct method
/// (`ProcessRequest`, `EnrollObject`, `RemoveObject`) and read a blob by its exact name (it never
/// lists the container).
///
/// ``AzureVerificationBackend`` implements it with the IoT Hub service API and Blob storage;
/// the same code runs against Azure and against EdgeFactor's built-in services.
public protocol VerificationBackend: Sendable {
    /// Invokes the `ProcessRequest` direct method on `deviceId` (and `moduleId`, when the request
    /// goes to an edge module) and returns the device's answer.
    ///
    /// - Throws: ``VerificationBackendError`` saying whether the device is offline, timed out,
    ///   the hub throttled us, or the hub is unreachable.
    func invokeProcessRequest(deviceId: String, moduleId: String?, payload: Data, timeout: Duration) async throws(VerificationBackendError) -> DeviceAnswer

    /// Invokes the direct method `name` on `deviceId` (and `moduleId`) and returns the answer.
    ///
    /// - Throws: ``VerificationBackendError``, as ``invokeProcessRequest(deviceId:moduleId:payload:timeout:)``.
    func invokeMethod(name: String, deviceId: String, moduleId: String?, payload: Data, timeout: Duration) async throws(VerificationBackendError) -> DeviceAnswer

    /// The blob named exactly `name` in the responses container, or nil when it does not exist (yet).
    ///
    /// - Parameter maximumSize: larger blobs are refused with ``VerificationBackendError/tooLarge(_:)``.
    func readBlob(named name: String, maximumSize: Int) async throws(VerificationBackendError) -> Data?

    /// The blob named exactly `name` in `container` (nil: the responses container), or nil when it
    /// does not exist (yet). The module's settings can move results to another container; the
    /// module's answer and the signed result name it.
    func readBlob(named name: String, container: String?, maximumSize: Int) async throws(VerificationBackendError) -> Data?

    /// The name of the responses container that `container: nil` reads, when the backend has one.
    var responsesContainerName: String? { get }

    /// True when each device stores its results in a container of its own (`DeviceStorageNames`),
    /// the default, rather than in one shared container.
    var readsDeviceContainers: Bool { get }

    /// Whether the device itself (its agent) is connected to the hub, when the backend can tell:
    /// an offline module on a connected device is the module's fault, not the box's.
    func isDeviceConnected(_ deviceId: String) async -> Bool?

    /// Whether the hub and storage answer now, for `/readyz` (nil: this backend cannot tell).
    /// Keep it quick: probes call it every few seconds.
    func dependencyReadiness() async -> (hub: Bool?, storage: Bool?)
}

extension VerificationBackend {
    var responsesContainerName: String? { nil }
    var readsDeviceContainers: Bool { false }
    func isDeviceConnected(_ deviceId: String) async -> Bool? { nil }
    func dependencyReadiness() async -> (hub: Bool?, storage: Bool?) { (nil, nil) }

    /// Where `deviceId`'s results are read unless the module names another container: the
    /// device's own container, or nil for the backend's shared one.
    func homeContainer(forDevice deviceId: String) -> String? {
        readsDeviceContainers ? DeviceStorageNames(deviceId: deviceId).responsesContainer : nil
    }

    /// Backends that know only `ProcessRequest` refuse any other method.
    func invokeMethod(name: String, deviceId: String, moduleId: String?, payload: Data, timeout: Duration) async throws(VerificationBackendError) -> DeviceAnswer {
        guard name == "ProcessRequest" else {
            throw .unavailable("this backend cannot invoke \(name.prefix(64)); use AzureVerificationBackend")
        }
        return try await invokeProcessRequest(deviceId: deviceId, moduleId: moduleId, payload: payload, timeout: timeout)
    }

    /// Backends that know only their responses container refuse any other.
    func readBlob(named name: String, container: String?, maximumSize: Int) async throws(VerificationBackendError) -> Data? {
        guard container == nil else {
            throw .unavailable("this backend reads only its responses container, not \(container?.prefix(63) ?? "")")
        }
        return try await readBlob(named: name, maximumSize: maximumSize)
    }
}

/// A device's reply to a direct method: its status (200 means accepted) and JSON payload.
public struct DeviceAnswer: Sendable, Equatable {
    var status: Int
    var payload: Data
    init(status: Int, payload: Data) {
        self.status = status
        self.payload = payload
    }
}

/// Why the hub or storage could not do what the front-end asked.
public enum VerificationBackendError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The device (or module) is registered but not connected (hub error 404103).
    case deviceOffline
    /// The device is not registered in the hub (404001 and similar).
    case deviceUnknown
    /// The device did not answer within the method timeout (504101).
    case timedOut
    /// The hub refused because of its quota or rate limits (429).
    case throttled
    /// A blob over the size limit.
    case tooLarge(Int)
    /// No answer from the hub at all (connection refused or timed out).
    case hubUnreachable(String)
    /// No answer from storage at all, or a server error.
    case storageUnreachable(String)
    /// The hub or storage answered an unexpected error.
    case unavailable(String)

    public var description: String {
        switch self {
        case .deviceOffline: "the device is not connected to the hub"
        case .deviceUnknown: "the device is not registered in the hub: check the account's device id (`edgefactor users set NAME --device ...`)"
        case .timedOut: "the device did not answer in time"
        case .throttled: "the hub is throttling requests; try again shortly"
        case .tooLarge(let size): "a result blob of \(size) bytes exceeds the limit"
        case .hubUnreachable(let why): "the hub is unreachable: \(why)"
        case .storageUnreachable(let why): "storage is unreachable: \(why)"
        case .unavailable(let why): "the hub or storage is unavailable: \(why)"
        }
    }
}
