import Foundation
import IoTHub
import Verification

extension ProcessRequestHandler {
    /// `EnrollObject` and `RemoveObject`: the body carries the front-end's sealed enrolment or
    /// removal. The module cannot check the device's seal; it checks the kind, the addressee and the
    /// expiry, then queues it inside a `QueuedRequest` sealed with its own secret, as for
    /// `ProcessRequest`.
    func handleTask(_ method: MethodRequest) async -> MethodResponse {
        let now = Date()
        let message: (text: String, requestId: String, expiresAt: Date)
        do {
            message = try prepareTask(method.name, payload: method.payload, now: now)
        } catch {
            logger.warning("rejected \(method.name)", metadata: ["reason": "\(error)"])
            return MethodOutcome.badRequest(error.description)
        }
        return await enqueue(message, now: now)
    }

    func prepareTask(_ name: String, payload: Data, now: Date) throws(VerificationError) -> (text: String, requestId: String, expiresAt: Date) {
        let body = try SealedMethodPayload.decode(payload)
        let envelope = body.request
        let expected: EnvelopeKind = name == SealedMethodPayload.enrolMethod ? .enrolment : .templateRemoval
        guard envelope.kind == expected.rawValue else { throw .wrongKind(expected: expected.rawValue, actual: envelope.kind) }
        let (requestId, device, module, expiresAt): (String, String, String?, Date)
        if expected == .enrolment {
            let request = try envelope.peek(EnrolmentRequest.self)
            try request.validate(now: now)
            (requestId, device, module, expiresAt) = (request.requestId, request.deviceId, request.moduleId, request.expiresAt)
        } else {
            let removal = try envelope.peek(TemplateRemoval.self)
            try removal.validate(now: now)
            (requestId, device, module, expiresAt) = (removal.requestId, removal.deviceId, removal.moduleId, removal.expiresAt)
        }
        guard requestId.lowercased() == body.correlationId.lowercased() else {
            throw .invalidField(name: "CorrelationId", reason: "differs from the sealed request's id")
        }
        guard device == deviceId, envelope.keyId == deviceId else {
            throw .invalidField(name: "Request", reason: "sealed for device '\(device)', this module runs on '\(deviceId)'")
        }
        if let module, module != moduleId {
            throw .invalidField(name: "Request", reason: "addressed to module '\(module)', this is '\(moduleId)'")
        }
        let queued = QueuedRequest.make(wrapping: envelope, expiresAt: expiresAt, now: now)
        let sealed: SignedEnvelope
        do { sealed = try SignedEnvelope.seal(queued, kind: .queuedRequest, keyId: moduleId, secret: secret) } catch {
            throw .malformed("cannot encode the queued request: \(error)")
        }
        return (sealed.jsonString(), requestId, expiresAt)
    }
}
