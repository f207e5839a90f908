import Foundation

/// How a direct method to a device ended, in the terms the pages use: queued (with the responses
/// container the module announced) or one of the failures a person is told about. Shared by
/// verification (`ProcessRequest`) and enrolment (`EnrollObject`, `RemoveObject`).
enum DirectMethodCall: Sendable {
    enum Failure: Sendable {
        case rejected, deviceOffline, moduleOffline, deviceUnknown, timedOut, throttled, hubUnreachable, storageUnreachable, unavailable
    }

    case queued(container: String?)
    case failed(Failure, String)

    /// Invokes `method` and maps the hub's and the device's answers.
    static func invoke(
        _ method: String, on backend: any VerificationBackend, deviceId: String, moduleId: String?, payload: Data, timeout: Duration
    ) async -> DirectMethodCall {
        do {
            let answer = try await backend.invokeMethod(name: method, deviceId: deviceId, moduleId: moduleId, payload: payload, timeout: timeout)
            if answer.status == 503 {
                // The module answers 503 only when storage did not take the request in time.
                return .failed(.storageUnreachable, "the module could not reach storage: \(String(decoding: answer.payload.prefix(300), as: UTF8.self))")
            }
            guard (200..<300).contains(answer.status) else {
                return .failed(.rejected, "device answered \(answer.status): \(String(decoding: answer.payload.prefix(300), as: UTF8.self))")
            }
            return .queued(container: VerificationWorker.announcedContainer(answer.payload))
        } catch {
            switch error {
            case .deviceOffline:
                // The module is offline; the box is, unless its agent is still connected.
                let deviceUp = moduleId == nil ? false : (await backend.isDeviceConnected(deviceId) ?? false)
                let moduleOnly = moduleId != nil && deviceUp
                return .failed(moduleOnly ? .moduleOffline : .deviceOffline, error.description)
            case .deviceUnknown: return .failed(.deviceUnknown, error.description)
            case .timedOut: return .failed(.timedOut, error.description)
            case .throttled: return .failed(.throttled, error.description)
            case .hubUnreachable: return .failed(.hubUnreachable, error.description)
            case .storageUnreachable: return .failed(.storageUnreachable, error.description)
            case .tooLarge, .unavailable: return .failed(.unavailable, error.description)
            }
        }
    }
}

extension VerificationPhase {
    init(_ failure: DirectMethodCall.Failure) {
        switch failure {
        case .rejected: self = .rejected
        case .deviceOffline: self = .deviceOffline
        case .moduleOffline: self = .moduleOffline
        case .deviceUnknown: self = .deviceUnknown
        case .timedOut: self = .timedOut
        case .throttled: self = .throttled
        case .hubUnreachable: self = .hubUnreachable
        case .storageUnreachable: self = .storageUnreachable
        case .unavailable: self = .unavailable
        }
    }
}

extension EnrolmentPhase {
    init(_ failure: DirectMethodCall.Failure) {
        switch failure {
        case .rejected: self = .rejected
        case .deviceOffline, .moduleOffline: self = .deviceOffline
        case .deviceUnknown: self = .deviceUnknown
        case .timedOut: self = .timedOut
        case .throttled: self = .throttled
        case .hubUnreachable, .storageUnreachable, .unavailable: self = .unavailable
        }
    }
}
