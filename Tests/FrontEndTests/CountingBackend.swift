import Foundation
@testable import FrontEnd
import Synchronization

/// Forwards to another backend and remembers which container each blob read named, so a test can
/// see how the front-end polls.
final class CountingBackend: VerificationBackend {
    let inner: any VerificationBackend
    private let containers = Mutex<[String?]>([])

    init(_ inner: any VerificationBackend) { self.inner = inner }

    /// The `container` argument of every read so far (nil: the configured container).
    var readContainers: [String?] { containers.withLock { $0 } }

    var responsesContainerName: String? { inner.responsesContainerName }

    func invokeProcessRequest(deviceId: String, moduleId: String?, payload: Data, timeout: Duration) async throws(VerificationBackendError) -> DeviceAnswer {
        try await inner.invokeProcessRequest(deviceId: deviceId, moduleId: moduleId, payload: payload, timeout: timeout)
    }

    func invokeMethod(name: String, deviceId: String, moduleId: String?, payload: Data, timeout: Duration) async throws(VerificationBackendError) -> DeviceAnswer {
        try await inner.invokeMethod(name: name, deviceId: deviceId, moduleId: moduleId, payload: payload, timeout: timeout)
    }

    func readBlob(named name: String, maximumSize: Int) async throws(VerificationBackendError) -> Data? {
        try await readBlob(named: name, container: nil, maximumSize: maximumSize)
    }

    func readBlob(named name: String, container: String?, maximumSize: Int) async throws(VerificationBackendError) -> Data? {
        containers.withLock { $0.append(container) }
        return try await inner.readBlob(named: name, container: container, maximumSize: maximumSize)
    }
}
