import Crypto
public import Foundation
public import Logging
public import Verification

/// Enrols and erases personal objects through the hub, for the web pages and the CLI alike.
///
/// An enrolment: seal an `EnrolmentRequest` with the device's secret, invoke `EnrollObject`, then
/// read `{requestId}/progress.json` and `{requestId}/enrolment.json` by exact name until the result
/// appears or the enrolment expires; check the result's seal and `validate(answering:)`, the
/// thumbnail's SHA-256, and only then store the object.
public struct ObjectEnroller: Sendable {
    let backend: any VerificationBackend
    let secrets: any DeviceSecretProvider
    let objects: ObjectStore
    let settings: ObjectSettings
    let logger: Logger

    public init(backend: any VerificationBackend, secrets: any DeviceSecretProvider, objects: ObjectStore, settings: ObjectSettings = ObjectSettings(), logger: Logger = Logger(label: "edgefactor.objects")) {
        self.backend = backend
        self.secrets = secrets
        self.objects = objects
        self.settings = settings
        self.logger = logger
    }

    /// A new enrolment request for `username`'s object called `name` on the account's device,
    /// after checking the name and the account's room for another object.
    public func prepare(username: String, deviceId: String, moduleId: String?, name: String, now: Date = Date()) async throws -> EnrolmentRequest {
        let name = try await objects.checkCanAdd(username: username, name: name)
        return try EnrolmentRequest.make(
            deviceId: deviceId, moduleId: moduleId, accountRef: AccountReference.make(username: username), objectName: name,
            views: settings.views, captureSeconds: settings.captureSeconds, now: now)
    }

    /// Runs `request` to its end for `username`; never throws: every failure is a phase.
    ///
    /// - Parameter onChange: told of each new status (progress included) before the final one.
    public func run(_ request: EnrolmentRequest, username: String, onChange: @Sendable (EnrolmentStatus) async -> Void = { _ in }) async -> EnrolmentStatus {
        guard let secret = secrets.secret(forDevice: request.deviceId) else {
            return EnrolmentStatus(phase: .deviceUnknown, reason: "no secret provisioned for device \(request.deviceId)")
        }
        let payload: Data
        do {
            let envelope = try SignedEnvelope.seal(request, kind: .enrolment, keyId: request.deviceId, secret: secret)
            payload = try SealedMethodPayload(correlationId: request.requestId, request: envelope).jsonData()
        } catch {
            return EnrolmentStatus(phase: .unavailable, reason: "cannot seal the enrolment: \(error)")
        }
        let container: String?
        switch await invoke(SealedMethodPayload.enrolMethod, deviceId: request.deviceId, moduleId: request.moduleId, payload: payload) {
        case .failed(let failure, let why): return EnrolmentStatus(phase: EnrolmentPhase(failure), reason: why)
        case .queued(let announced): container = announced
        }
        await onChange(EnrolmentStatus(phase: .capturing))
        return await awaitResult(request, username: username, secret: secret, announcedContainer: container, onChange: onChange)
    }

    /// Asks the device to erase `object`'s template (sealed `TemplateRemoval` through
    /// `RemoveObject`). Best effort: the front-end stopped challenging the object already.
    ///
    /// - Returns: nil when the device's module queued it, else why not.
    @discardableResult
    package func sendRemoval(of object: PersonalObject) async -> String? {
        guard let secret = secrets.secret(forDevice: object.deviceId) else { return "no secret provisioned for device \(object.deviceId)" }
        do {
            let removal = try TemplateRemoval.make(deviceId: object.deviceId, moduleId: object.moduleId, accountRef: object.accountRef, templateId: object.templateId)
            let envelope = try SignedEnvelope.seal(removal, kind: .templateRemoval, keyId: object.deviceId, secret: secret)
            let payload = try SealedMethodPayload(correlationId: removal.requestId, request: envelope).jsonData()
            switch await invoke(SealedMethodPayload.removeMethod, deviceId: object.deviceId, moduleId: object.moduleId, payload: payload) {
            case .queued: return nil
            case .failed(_, let why): return why
            }
        } catch {
            return "cannot seal the removal: \(error)"
        }
    }

    private func invoke(_ method: String, deviceId: String, moduleId: String?, payload: Data) async -> DirectMethodCall {
        await DirectMethodCall.invoke(method, on: backend, deviceId: deviceId, moduleId: moduleId, payload: payload, timeout: settings.methodTimeout)
    }

    private func awaitResult(
        _ request: EnrolmentRequest, username: String, secret: Verification.SharedSecret, announcedContainer: String?,
        onChange: @Sendable (EnrolmentStatus) async -> Void
    ) async -> EnrolmentStatus {
        let deadline = request.expiresAt.addingTimeInterval(settings.resultGrace)
        var interval = settings.initialPollInterval
        var lastError: String?
        var lastProgress: EnrolmentProgress?
        let home = backend.homeContainer(forDevice: request.deviceId)
        let moved = announcedContainer == (home ?? backend.responsesContainerName) ? nil : announcedContainer
        let containers: [String?] = moved.map { [$0, home] } ?? [home]
        while Date() < deadline, !Task.isCancelled {
            lastError = nil
            for container in containers {
                do {
                    if let data = try await backend.readBlob(named: ResultLocation.enrolmentResultBlob(for: request.requestId), container: container, maximumSize: SignedEnvelope.maximumEncodedSize) {
                        return await finish(data, request: request, username: username, secret: secret, foundIn: container)
                    }
                    if let data = try await backend.readBlob(named: ResultLocation.enrolmentProgressBlob(for: request.requestId), container: container, maximumSize: SignedEnvelope.maximumEncodedSize),
                       let progress = Self.progress(data, for: request, secret: secret), progress != lastProgress {
                        lastProgress = progress
                        await onChange(EnrolmentStatus(phase: .capturing, progress: progress))
                    }
                } catch {
                    lastError = error.description
                    logger.debug("enrolment poll failed: \(error)", metadata: ["requestId": "\(request.requestId)"])
                }
            }
            try? await Task.sleep(for: interval)
            interval = min(interval * 3 / 2, settings.maximumPollInterval)
        }
        if let lastError { return EnrolmentStatus(phase: .unavailable, progress: lastProgress, reason: lastError) }
        return EnrolmentStatus(phase: .expired, progress: lastProgress, reason: "no result before \(deadline.formatted(.iso8601))")
    }

    /// The sealed progress, when it is the device's and answers `request`; anything else is ignored.
    static func progress(_ data: Data, for request: EnrolmentRequest, secret: Verification.SharedSecret) -> EnrolmentProgress? {
        guard let envelope = try? SignedEnvelope.decode(data), envelope.keyId == request.deviceId,
              let progress = try? envelope.open(EnrolmentProgress.self, kind: .enrolmentProgress, secret: secret),
              (try? progress.validate(answering: request)) != nil
        else { return nil }
        return progress
    }

    private func finish(_ data: Data, request: EnrolmentRequest, username: String, secret: Verification.SharedSecret, foundIn container: String?) async -> EnrolmentStatus {
        let result: EnrolmentResult
        do {
            let envelope = try SignedEnvelope.decode(data)
            guard envelope.keyId == request.deviceId else {
                return EnrolmentStatus(phase: .invalid, reason: "result signed with key \(envelope.keyId.prefix(128)), not the device's")
            }
            result = try envelope.open(EnrolmentResult.self, kind: .enrolmentResult, secret: secret)
            try result.validate(answering: request)
        } catch {
            return EnrolmentStatus(phase: .invalid, reason: "\(error)")
        }
        guard result.outcome == .enrolled, let templateId = result.templateId, let expected = result.thumbnailSHA256 else {
            return EnrolmentStatus(phase: .refused, reason: result.reason ?? "the device refused the capture", quality: result.quality)
        }
        let thumbnailName = ResultLocation.thumbnailBlob(for: request.requestId)
        if let named = result.thumbnailBlob, named != thumbnailName {
            return EnrolmentStatus(phase: .invalid, reason: "result names thumbnail \(named.prefix(200)), not \(thumbnailName)", quality: result.quality)
        }
        let thumbnail: Data
        do {
            let source = result.container.map { $0 == backend.responsesContainerName ? nil : $0 } ?? container
            guard let data = try await backend.readBlob(named: thumbnailName, container: source, maximumSize: settings.maximumThumbnailSize) else {
                return EnrolmentStatus(phase: .invalid, reason: "the result says enrolled but \(thumbnailName) does not exist", quality: result.quality)
            }
            thumbnail = data
        } catch {
            return EnrolmentStatus(phase: .unavailable, reason: "cannot read the thumbnail: \(error)", quality: result.quality)
        }
        let digest = SHA256.hash(data: thumbnail).map { String(format: "%02x", $0) }.joined()
        guard RandomToken.constantTimeEquals(digest, expected) else {
            return EnrolmentStatus(phase: .invalid, reason: "the thumbnail's SHA-256 does not match the signed result", quality: result.quality)
        }
        let object = PersonalObject(
            templateId: templateId, username: username, deviceId: request.deviceId, moduleId: request.moduleId,
            name: request.objectName, thumbnail: thumbnail, quality: result.quality)
        do {
            let stored = try await objects.add(object)
            return EnrolmentStatus(phase: .enrolled, object: stored, quality: result.quality)
        } catch {
            // The device keeps a template nobody can use: ask it to forget it.
            let removal = await sendRemoval(of: object)
            logger.warning("enrolled object not stored", metadata: ["requestId": "\(request.requestId)", "error": "\(error)", "removal": "\(removal ?? "sent")"])
            return EnrolmentStatus(phase: .notStored, reason: "\(error)", quality: result.quality)
        }
    }
}
