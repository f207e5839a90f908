import Foundation
import Verification

extension RequestIntake {
    /// Work for the device that is not a verification: enrol an object, or forget one.
    enum DeviceTask: Sendable {
        case enrolment(EnrolmentRequest, deadline: Date, enqueuedAt: Date)
        case removal(TemplateRemoval)
        /// New storage access from the front-end (the grant is still encrypted).
        case storageAccess(StorageAccessRenewal)

        var nonce: String {
            switch self {
            case .enrolment(let request, _, _): request.nonce
            case .removal(let removal): removal.nonce
            case .storageAccess(let renewal): renewal.nonce
            }
        }

        var requestId: String {
            switch self {
            case .enrolment(let request, _, _): request.requestId
            case .removal(let removal): removal.requestId
            case .storageAccess(let renewal): renewal.requestId
            }
        }
    }

    /// Opens `text` as an enrolment, a template removal or a storage renewal if the module's envelope carries one:
    /// the module's HMAC and expiry, then the front-end's HMAC (with the device's secret), the
    /// fields and the addressee. Returns nil for anything else, which ``open(_:now:)`` judges.
    func openTask(_ text: String, now: Date = Date()) throws(RequestRejection) -> DeviceTask? {
        guard text.utf8.count <= Self.maximumMessageSize else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("{"), let outer = try? SignedEnvelope.decode(Data(trimmed.utf8)),
              outer.kind == EnvelopeKind.queuedRequest.rawValue,
              let peeked = try? outer.peek(QueuedRequest.self),
              [EnvelopeKind.enrolment.rawValue, EnvelopeKind.templateRemoval.rawValue, EnvelopeKind.storageAccess.rawValue].contains(peeked.request.kind)
        else { return nil }
        let queued = try openQueued(outer, now: now)
        let inner = queued.request
        do {
            if inner.kind == EnvelopeKind.enrolment.rawValue {
                let request = try inner.open(EnrolmentRequest.self, kind: .enrolment, secret: deviceSecret)
                try request.validate(now: now)
                try check(deviceId: request.deviceId, moduleId: request.moduleId, queuedBy: outer.keyId)
                return .enrolment(request, deadline: min(request.expiresAt, queued.expiresAt), enqueuedAt: queued.enqueuedAt)
            }
            if inner.kind == EnvelopeKind.storageAccess.rawValue {
                let renewal = try inner.open(StorageAccessRenewal.self, kind: .storageAccess, secret: deviceSecret)
                try renewal.validate(now: now)
                try check(deviceId: renewal.deviceId, moduleId: renewal.moduleId, queuedBy: outer.keyId)
                return .storageAccess(renewal)
            }
            let removal = try inner.open(TemplateRemoval.self, kind: .templateRemoval, secret: deviceSecret)
            try removal.validate(now: now)
            try check(deviceId: removal.deviceId, moduleId: removal.moduleId, queuedBy: outer.keyId)
            return .removal(removal)
        } catch let rejection as RequestRejection {
            throw rejection
        } catch let error as VerificationError {
            throw RequestRejection(error, context: "\(inner.kind) envelope")
        } catch {
            throw RequestRejection(.malformed, "\(inner.kind) envelope: \(error)")
        }
    }

    private func check(deviceId addressee: String, moduleId: String?, queuedBy module: String) throws(RequestRejection) {
        guard addressee == deviceId else {
            throw RequestRejection(.wrongDevice, "addressed to device '\(addressee)', this agent is '\(deviceId)'")
        }
        if let moduleId, moduleId != module {
            throw RequestRejection(.wrongDevice, "addressed to module '\(moduleId)' but queued by module '\(module)'")
        }
    }
}
