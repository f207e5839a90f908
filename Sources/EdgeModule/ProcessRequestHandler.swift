import AzureStorage
import Foundation
import IoTHub
import Logging
import Synchronization
import Verification

/// Handles `ProcessRequest` (and `EnrollObject` and `RemoveObject`, see
/// `ProcessRequestHandler+Tasks.swift`): validates the payload, wraps the front-end's sealed request
/// in a `QueuedRequest` sealed with the module's secret, and answers 200 only once the queue has
/// accepted it (400 for bad input, 503 when storage does not answer in time).
final class ProcessRequestHandler: Sendable {
    static let methodName = "ProcessRequest"

    private struct State {
        var settings: ModuleSettings
        /// The queue known to exist (created by this module, or covered by a grant).
        var readyQueue: String?
    }

    let deviceId: String
    let moduleId: String
    let secret: SharedSecret
    /// The account's connection string or the device's grant; `RenewStorageAccess` replaces a grant.
    let storage: RenewableStorageAccess
    private let acceptUnsigned: Bool
    private let enqueueTimeout: Duration
    private let onQueued: (@Sendable () async -> Void)?
    let logger: Logger
    private let state: Mutex<State>

    init(
        deviceId: String, moduleId: String, secret: SharedSecret, storage: RenewableStorageAccess,
        settings: ModuleSettings, acceptUnsigned: Bool, enqueueTimeout: Duration,
        onQueued: (@Sendable () async -> Void)?, logger: Logger
    ) {
        self.deviceId = deviceId
        self.moduleId = moduleId
        self.secret = secret
        self.storage = storage
        self.acceptUnsigned = acceptUnsigned
        self.enqueueTimeout = enqueueTimeout
        self.onQueued = onQueued
        self.logger = logger
        state = Mutex(State(settings: settings))
    }

    var settings: ModuleSettings { state.withLock { $0.settings } }

    /// Replaces the settings (after a desired-properties patch); a new queue name takes effect for
    /// the next request.
    func update(_ settings: ModuleSettings) {
        state.withLock { $0.settings = settings }
    }

    /// The direct-method entry point.
    func handle(_ method: MethodRequest) async -> MethodResponse {
        switch method.name {
        case Self.methodName: break
        case SealedMethodPayload.enrolMethod, SealedMethodPayload.removeMethod: return await handleTask(method)
        case StorageAccessRenewal.method: return await handleRenewal(method)
        default: return MethodOutcome.unknownMethod(method.name)
        }
        let settings = self.settings
        let now = Date()
        let message: (text: String, requestId: String, expiresAt: Date)
        do {
            message = try prepare(method.payload, settings: settings, now: now)
        } catch {
            logger.warning("rejected ProcessRequest", metadata: ["reason": "\(error)"])
            return MethodOutcome.badRequest(error.description)
        }
        return await enqueue(message, now: now)
    }

    /// Puts a prepared message on the requests queue (creating the queue the first time) and
    /// answers 200 naming the responses container, or 503.
    func enqueue(_ message: (text: String, requestId: String, expiresAt: Date), now: Date) async -> MethodResponse {
        let (settings, readyQueue) = state.withLock { ($0.settings, $0.readyQueue) }
        let ttl = max(1, message.expiresAt.timeIntervalSince(now).rounded(.up))
        let access = storage.current
        do {
            let queue = QueueClient(connectionString: try access.queue(settings.requestsQueue), queueName: settings.requestsQueue)
            try await withTimeout(enqueueTimeout) {
                // A grant's queue exists already (its issuer made it), and its SAS could not create it.
                if access.createsResources, readyQueue != queue.queueName {
                    try await queue.create()
                    self.markQueueReady(queue.queueName)
                }
                _ = try await queue.send(message.text, timeToLive: .seconds(ttl))
            }
        } catch {
            logger.error("cannot queue the request", metadata: ["requestId": "\(message.requestId)", "error": "\(error)"])
            return MethodOutcome.unavailable("storage did not accept the request (\(error)); retry, and check the module's storage connection string")
        }
        logger.info("queued request", metadata: ["requestId": "\(message.requestId)", "queue": "\(settings.requestsQueue)"])
        await onQueued?()
        return MethodOutcome.ok(container: settings.responsesContainer)
    }

    private func markQueueReady(_ queue: String) {
        state.withLock { $0.readyQueue = queue }
    }

    /// Validates the payload and builds the queue message text.
    func prepare(_ payload: Data, settings: ModuleSettings, now: Date) throws(VerificationError) -> (text: String, requestId: String, expiresAt: Date) {
        let body = try ProcessRequestPayload.decode(Self.withDefaultThreshold(payload, settings.defaultThreshold))
        let lifetimeCap = now.addingTimeInterval(settings.requestLifetime)
        guard let envelope = body.request else {
            guard acceptUnsigned else {
                throw .invalidField(name: "Request", reason: "missing: EdgeFactor queues only requests sealed by the front-end (start the module with --accept-unsigned-requests to serve the original front-end)")
            }
            // The original format; the agent accepts it only with its own legacy option.
            let text = "\(body.correlationId)|\(body.className)|\(Self.format(body.thresholdPercentage))|\(moduleId)"
            return (text, body.correlationId, lifetimeCap)
        }
        let request = try UnverifiedRequest.peek(envelope)
        try request.validate(now: now)
        guard request.requestId.lowercased() == body.correlationId.lowercased() else {
            throw .invalidField(name: "CorrelationId", reason: "differs from the sealed request's id")
        }
        guard request.className == body.className else {
            throw .invalidField(name: "ClassName", reason: "differs from the sealed request's class")
        }
        guard request.threshold == body.thresholdPercentage else {
            throw .invalidField(name: "ThresholdPercentage", reason: "differs from the sealed request's threshold")
        }
        guard request.deviceId == deviceId, envelope.keyId == deviceId else {
            throw .invalidField(name: "Request", reason: "sealed for device '\(request.deviceId)', this module runs on '\(deviceId)'")
        }
        if let target = request.moduleId, target != moduleId {
            throw .invalidField(name: "Request", reason: "addressed to module '\(target)', this is '\(moduleId)'")
        }
        let queued = QueuedRequest.make(wrapping: envelope, expiresAt: min(request.expiresAt, lifetimeCap), now: now)
        let sealed: SignedEnvelope
        do { sealed = try SignedEnvelope.seal(queued, kind: .queuedRequest, keyId: moduleId, secret: secret) } catch {
            throw .malformed("cannot encode the queued request: \(error)")
        }
        return (sealed.jsonString(), request.requestId, queued.expiresAt)
    }

    /// The original front-end always sent a threshold; a payload without one gets the configured default.
    static func withDefaultThreshold(_ payload: Data, _ threshold: Double) -> Data {
        guard payload.count <= ProcessRequestPayload.maximumEncodedSize,
              var object = (try? JSONSerialization.jsonObject(with: payload)) as? [String: Any],
              object["ThresholdPercentage"] == nil
        else { return payload }
        object["ThresholdPercentage"] = threshold
        return (try? JSONSerialization.data(withJSONObject: object)) ?? payload
    }

    static func format(_ threshold: Double) -> String {
        threshold == threshold.rounded() ? String(Int(threshold)) : String(threshold)
    }
}

/// Runs `operation`, throwing `ModuleTimeout` if it takes longer than `limit`.
func withTimeout(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw ModuleTimeout(limit: limit)
        }
        try await group.next()
        group.cancelAll()
    }
}

/// Storage did not answer within the module's enqueue timeout.
struct ModuleTimeout: Error, CustomStringConvertible {
    var limit: Duration
    var description: String { "no answer within \(limit)" }
}
