import Crypto
public import Foundation
import Logging
import ServiceLifecycle
import Verification

/// Carries out each verification: seals the request, invokes `ProcessRequest` and awaits the
/// device's answer, then reads `{requestId}/result.json` by name until it appears or the request
/// expires, and validates it before anything is shown or accepted.
///
/// The module's settings can move results to another container: the module's answer names the
/// container (`ResponsesContainer`), and the result is looked for there as well as in the
/// configured one; the signed result names the container holding its evidence.
struct VerificationWorker: Service {
    let tracker: VerificationTracker
    let backend: any VerificationBackend
    let secrets: any DeviceSecretProvider
    let audit: AuditLog
    let throttle: AccountThrottle
    /// Where a personal object's existence is re-checked when its result arrives.
    let objects: ObjectStore
    let settings: VerificationSettings
    let metrics: FrontEndMetrics
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for await job in tracker.jobs {
                    group.addTask { await process(job) }
                }
            }
        }
    }

    /// Runs one verification to its end; never throws: every failure becomes a phase the user sees.
    func process(_ job: PendingVerification) async {
        let started = ContinuousClock.now
        metrics.verificationsInFlight.increment()
        defer { metrics.verificationsInFlight.decrement() }
        let request = job.request
        var phase: VerificationPhase
        var confidence: Double?
        var image: Data?
        var detail: String?

        if let secret = secrets.secret(forDevice: request.deviceId) {
            switch await invoke(request, secret: secret) {
            case .failed(let failure, let why):
                phase = VerificationPhase(failure)
                detail = why
            case .queued(let container):
                await tracker.advance(request.requestId, to: .looking)
                var outcome = await awaitResult(request, secret: secret, announcedContainer: container)
                if outcome.phase == .found, let templateId = request.templateId, !(await objectExists(templateId, username: job.username)) {
                    outcome = Outcome(phase: .objectRemoved, confidence: outcome.confidence, detail: "object \(templateId) was removed from the account")
                }
                phase = outcome.phase
                confidence = outcome.confidence
                image = outcome.image
                detail = outcome.detail
            }
        } else {
            phase = .deviceUnknown
            detail = "no secret provisioned for device \(request.deviceId)"
        }

        // A stop of the front-end ends the wait: the outcome is not known, and the person must
        // start again (the next start's pages say so).
        if Task.isCancelled, !phase.isDecided {
            phase = .interrupted
            detail = "the front-end stopped before the result arrived; the person must sign in again"
        }
        // A failed second factor is counted before the session learns the outcome, so the next
        // attempt it makes already meets the wait.
        if phase.countsAsFailure {
            do { try await throttle.recordFailure(job.username) } catch { logger.error("cannot record a failed verification: \(error)") }
        }
        await tracker.advance(request.requestId, to: phase, confidence: confidence, image: image)
        metrics.secondFactor(phase, since: started)
        logger.info(
            "verification finished",
            metadata: ["requestId": "\(request.requestId)", "user": "\(job.username)", "phase": "\(phase.rawValue)", "detail": "\(detail ?? "")"]
        )
        await record(
            AuditEvent(
                kind: .verificationCompleted, username: job.username, address: job.address, requestId: request.requestId,
                deviceId: request.deviceId, className: request.className, confidence: confidence, outcome: phase.rawValue, detail: detail
            )
        )
    }

    /// Whether the personal object still belongs to the account (a database error counts as no).
    private func objectExists(_ templateId: String, username: String) async -> Bool {
        do { return try await objects.find(templateId: templateId, username: username) != nil } catch {
            logger.error("cannot check the personal object: \(error)")
            return false
        }
    }

    private func invoke(_ request: VerificationRequest, secret: Verification.SharedSecret) async -> DirectMethodCall {
        let body: Data
        do {
            let envelope = try SignedEnvelope.seal(request, kind: .request, keyId: request.deviceId, secret: secret)
            body = try ProcessRequestPayload(request: request, envelope: envelope).jsonData()
        } catch {
            return .failed(.unavailable, "cannot seal the request: \(error)")
        }
        return await DirectMethodCall.invoke(
            "ProcessRequest", on: backend, deviceId: request.deviceId, moduleId: request.moduleId, payload: body, timeout: settings.methodTimeout)
    }

    private struct Outcome {
        var phase: VerificationPhase
        var confidence: Double?
        var image: Data?
        var detail: String?
    }

    /// The container named in the module's answer, when it is a valid container name.
    static func announcedContainer(_ payload: Data) -> String? {
        guard payload.count <= 4096,
              let object = (try? JSONSerialization.jsonObject(with: payload)) as? [String: Any],
              let name = object["ResponsesContainer"] as? String, AgentSettings.isValidStorageName(name)
        else { return nil }
        return name
    }

    /// Reads the result blob by name with a gently growing interval, until the deadline: in the
    /// container the module named (if any), then in the configured one (nil).
    private func awaitResult(_ request: VerificationRequest, secret: Verification.SharedSecret, announcedContainer: String?) async -> Outcome {
        let deadline = request.expiresAt.addingTimeInterval(settings.resultGrace)
        var interval = settings.initialPollInterval
        var lastError: String?
        var ignored: String?
        var shownBest: Double?
        // The module usually announces the configured container itself: read it once, not twice.
        let home = backend.homeContainer(forDevice: request.deviceId)
        let moved = announcedContainer == (home ?? backend.responsesContainerName) ? nil : announcedContainer
        let containers: [String?] = moved.map { [$0, home] } ?? [home]
        var storageAway = false
        while Date() < deadline, !Task.isCancelled {
            lastError = nil
            storageAway = false
            // Each container on its own: one that cannot be read must not hide the other.
            for container in containers {
                do {
                    if let data = try await backend.readBlob(named: ResultLocation.resultBlob(for: request.requestId), container: container, maximumSize: SignedEnvelope.maximumEncodedSize) {
                        if let outcome = await validate(data, for: request, secret: secret, foundIn: container) { return outcome }
                        // Not sealed by the device asked: someone else's word, which decides nothing.
                        // The device's own result may still come (in its own container, or after this one).
                        if ignored == nil {
                            logger.warning("ignored a result not sealed by the device asked", metadata: ["requestId": "\(request.requestId)", "container": "\(container ?? "configured")"])
                        }
                        ignored = "a result not sealed by device \(request.deviceId) was found and ignored"
                    } else if let data = try await backend.readBlob(named: ResultLocation.verificationProgressBlob(for: request.requestId), container: container, maximumSize: SignedEnvelope.maximumEncodedSize),
                              let best = Self.progress(data, for: request, secret: secret), best > (shownBest ?? -1) {
                        shownBest = best
                        await tracker.advance(request.requestId, to: .looking, confidence: best)
                    }
                } catch {
                    lastError = error.description
                    if case .storageUnreachable = error { storageAway = true }
                    logger.debug("result poll failed: \(error)", metadata: ["requestId": "\(request.requestId)", "container": "\(container ?? "configured")"])
                }
            }
            try? await Task.sleep(for: interval)
            interval = min(interval * 3 / 2, settings.maximumPollInterval)
        }
        if let lastError { return Outcome(phase: storageAway ? .storageUnreachable : .unavailable, detail: lastError) }
        return Outcome(phase: .expired, detail: ["no result before \(deadline.formatted(.iso8601))", ignored].compactMap { $0 }.joined(separator: "; "))
    }

    /// The best score so far, when the sealed progress is the device's and belongs to `request`.
    static func progress(_ data: Data, for request: VerificationRequest, secret: Verification.SharedSecret) -> Double? {
        guard let envelope = try? SignedEnvelope.decode(data), envelope.keyId == request.deviceId,
              let progress = try? envelope.open(VerificationProgress.self, kind: .verificationProgress, secret: secret),
              (try? progress.validate(answering: request)) != nil
        else { return nil }
        return progress.bestConfidence
    }

    /// Checks the signed result against the pending request, and the image against its digest.
    /// The image is read from the container the signed result names, else where the result was found.
    /// Returns nil for a result that is not the device's (not an envelope, another key, a bad
    /// seal): it is ignored, and the device's own is still awaited.
    private func validate(_ data: Data, for request: VerificationRequest, secret: Verification.SharedSecret, foundIn container: String?) async -> Outcome? {
        let result: VerificationResult
        do {
            let envelope = try SignedEnvelope.decode(data)
            guard envelope.keyId == request.deviceId else { return nil }
            result = try envelope.open(VerificationResult.self, kind: .result, secret: secret)
        } catch {
            return nil
        }
        do {
            try result.validate(answering: request)
        } catch {
            return Outcome(phase: .invalid, detail: "\(error)")
        }
        if result.outcome == .cameraUnavailable {
            return Outcome(phase: .cameraUnavailable, detail: "the device's camera delivers no frames")
        }
        guard result.outcome == .found else {
            return Outcome(phase: .notFound, confidence: result.confidence)
        }
        let imageName = ResultLocation.imageBlob(for: request.requestId)
        if let blobName = result.blobName, blobName != imageName {
            return Outcome(phase: .invalid, confidence: result.confidence, detail: "result names image \(blobName.prefix(200)), not \(imageName)")
        }
        do {
            let imageContainer = result.container.map { $0 == backend.responsesContainerName ? nil : $0 } ?? container
            guard let image = try await backend.readBlob(named: imageName, container: imageContainer, maximumSize: settings.maximumImageSize) else {
                return Outcome(phase: .invalid, confidence: result.confidence, detail: "the result says found but \(imageName) does not exist")
            }
            let digest = SHA256.hash(data: image).map { String(format: "%02x", $0) }.joined()
            guard let expected = result.imageSHA256, RandomToken.constantTimeEquals(digest, expected) else {
                return Outcome(phase: .invalid, confidence: result.confidence, detail: "the image's SHA-256 does not match the signed result")
            }
            return Outcome(phase: .found, confidence: result.confidence, image: image)
        } catch {
            return Outcome(phase: .unavailable, confidence: result.confidence, detail: "cannot read the image: \(error)")
        }
    }

    private func record(_ event: AuditEvent) async {
        // Not cancellable (AuditLog.record): a shutdown must not drop the record of a sign-in already decided.
        do { try await audit.record(event) } catch { logger.error("cannot write the audit log: \(error)") }
    }
}

/// Timings of the verification flow.
public struct VerificationSettings: Sendable, Equatable {
    /// How long a request is valid (NIST: short); the device gives up at expiry.
    var requestLifetime: Duration
    /// How long `ProcessRequest` may take to be answered.
    var methodTimeout: Duration
    /// Extra time after expiry to wait for a result already on its way.
    var resultGrace: TimeInterval
    var initialPollInterval: Duration
    var maximumPollInterval: Duration
    /// Largest evidence image accepted.
    var maximumImageSize: Int

    public init(
        requestLifetime: Duration = .seconds(60), methodTimeout: Duration = .seconds(30), resultGrace: TimeInterval = 5,
        initialPollInterval: Duration = .milliseconds(150), maximumPollInterval: Duration = .seconds(1), maximumImageSize: Int = 8 << 20
    ) {
        self.requestLifetime = requestLifetime
        self.methodTimeout = methodTimeout
        self.resultGrace = resultGrace
        self.initialPollInterval = initialPollInterval
        self.maximumPollInterval = maximumPollInterval
        self.maximumImageSize = maximumImageSize
    }
}
