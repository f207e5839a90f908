import AzureStorage
import Foundation
import IoTHub
import Verification

extension ProcessRequestHandler {
    /// `RenewStorageAccess`: the front-end's new grants for this device. The module's own grant
    /// (the requests queue, add only) comes in the clear and replaces the one in use, for the same
    /// account only; the agent's, sealed and encrypted with the device's secret, is checked as far
    /// as the module can (kind, addressee, expiry) and queued for the agent like an enrolment,
    /// with the module's new grant.
    func handleRenewal(_ method: MethodRequest) async -> MethodResponse {
        let now = Date()
        let message: (text: String, requestId: String, expiresAt: Date)
        do {
            let body = try SealedMethodPayload.decode(method.payload)
            message = try prepareRenewal(body, now: now)
            try renewOwnGrant(body.moduleGrant)
        } catch let error as StorageConfigurationError {
            logger.warning("refused the module's renewed storage grant", metadata: ["reason": "\(error)"])
            return MethodOutcome.badRequest(error.description)
        } catch {
            logger.warning("rejected \(method.name)", metadata: ["reason": "\(error)"])
            return MethodOutcome.badRequest("\(error)")
        }
        logger.info("storage grant renewed", metadata: ["until": "\(storage.current.expiresOn.map(StorageDate.iso8601) ?? "no expiry (account key)")"])
        return await enqueue(message, now: now)
    }

    /// Replaces the module's grant, when it runs on one; a module holding the account's key has
    /// nothing to renew and only forwards the agent's part.
    private func renewOwnGrant(_ text: String?) throws(StorageConfigurationError) {
        guard case .grant = storage.current else { return }
        guard let text else {
            throw StorageConfigurationError("the renewal carries no ModuleGrant, and this module runs on a storage grant: nothing was renewed.")
        }
        let grant = try StorageGrant.decode(Data(text.utf8))
        try storage.renew(with: grant, covering: (queues: [settings.requestsQueue], containers: []))
    }

    private func prepareRenewal(_ body: SealedMethodPayload, now: Date) throws(VerificationError) -> (text: String, requestId: String, expiresAt: Date) {
        let envelope = body.request
        guard envelope.kind == EnvelopeKind.storageAccess.rawValue else {
            throw .wrongKind(expected: EnvelopeKind.storageAccess.rawValue, actual: envelope.kind)
        }
        let renewal = try envelope.peek(StorageAccessRenewal.self)
        try renewal.validate(now: now)
        guard renewal.requestId.lowercased() == body.correlationId.lowercased() else {
            throw .invalidField(name: "CorrelationId", reason: "differs from the sealed renewal's id")
        }
        guard renewal.deviceId == deviceId, envelope.keyId == deviceId else {
            throw .invalidField(name: "Request", reason: "sealed for device '\(renewal.deviceId)', this module runs on '\(deviceId)'")
        }
        if let module = renewal.moduleId, module != moduleId {
            throw .invalidField(name: "Request", reason: "addressed to module '\(module)', this is '\(moduleId)'")
        }
        let queued = QueuedRequest.make(wrapping: envelope, expiresAt: renewal.expiresAt, now: now)
        let sealed: SignedEnvelope
        do { sealed = try SignedEnvelope.seal(queued, kind: .queuedRequest, keyId: moduleId, secret: secret) } catch {
            throw .malformed("cannot encode the queued renewal: \(error)")
        }
        return (sealed.jsonString(), renewal.requestId, renewal.expiresAt)
    }
}
