import AzureStorage
import EdgeFactorSupport
import Foundation
import IoTHub
import Logging
import Verification
import Vision

extension DeviceAgent {
    /// What the camera must find for `request`: a model class, or a personal object's template;
    /// `problem` says why frames can never satisfy it (answered not found at once).
    func watchTarget(for request: VerificationRequest) -> (classIndex: Int?, template: ObjectTemplate?, problem: String?) {
        guard let templateId = request.templateId, let accountRef = request.accountRef else {
            let index = classifier.labels.index(matching: request.className)
            return (index, nil, index == nil ? "the model has no class named \(request.className)" : nil)
        }
        do {
            let template = try templates.load(templateId, accountRef: accountRef)
            try template.checkCompatible(with: classifier.identity)
            guard classifier.hasEmbedding else { return (nil, nil, "the model in use has no embedding output") }
            return (nil, template, nil)
        } catch {
            return (nil, nil, "\(error)")
        }
    }

    /// Starts an enrolment, or erases a template.
    func acceptTask(_ task: RequestIntake.DeviceTask, message: QueueMessage, from source: QueueClient, receivedAt: ContinuousClock.Instant) async {
        let log = logger.with("requestId", task.requestId)
        do {
            try await replayGuard.admit(task.nonce, until: Date().addingTimeInterval(VerificationRequest.maximumLifetime))
        } catch {
            if let session = enrolment, session.request.requestId == task.requestId, session.delivery.messageId == message.messageId {
                // The same message again (its lease lapsed): keep the newer receipt.
                enrolment?.delivery = QueueMessageLease(queue: source, message: message, enqueuedAt: session.delivery.enqueuedAt, receivedAt: session.delivery.receivedAt)
                return
            }
            await reject(message, from: source, RequestRejection(error, context: "request \(task.requestId)"))
            return
        }
        switch task {
        case .storageAccess(let renewal):
            renewStorage(renewal, log: log)
            // A refused grant cannot become acceptable later: the message is done either way.
            await delete(message, from: source, log: log)

        case .removal(let removal):
            do {
                let removed = try templates.remove(removal.templateId, accountRef: removal.accountRef)
                log.info(removed ? "template removed" : "no such template to remove", metadata: ["template": "\(removal.templateId)"])
            } catch {
                log.warning("cannot remove the template; the message will be retried", metadata: ["error": "\(error)"])
                return
            }
            await delete(message, from: source, log: log)

        case .enrolment(let request, let deadline, let enqueuedAt):
            do {
                if try await publisher.isEnrolmentAnswered(request.requestId) {
                    await delete(message, from: source, log: log)
                    return
                }
            } catch {
                setStorageReachable(false)
                log.warning("cannot check for an existing enrolment result; leaving the message for a later attempt", metadata: ["error": "\(error)"])
                return
            }
            let lease = QueueMessageLease(queue: source, message: message, enqueuedAt: enqueuedAt, receivedAt: receivedAt)
            guard enrolment == nil, classifier.hasEmbedding else {
                let why = enrolment == nil
                    ? "the model in use (\(classifier.identity.fileName)) has no embedding output: the device cannot enrol objects with it"
                    : "the camera is busy with another enrolment: try again in a few seconds"
                let session = EnrolmentSession(request: request, delivery: lease, admittedAt: receivedAt, deadline: deadline, policy: configuration.enrolmentPolicy)
                jobSink.yield(.enrolment(session.refusing(why)))
                return
            }
            log.info("enrolling an object", metadata: ["views": "\(request.views)", "seconds": "\(request.captureSeconds)"])
            enrolment = EnrolmentSession(request: request, delivery: lease, admittedAt: receivedAt, deadline: deadline, policy: configuration.enrolmentPolicy)
            jobSink.yield(.progress(enrolment?.progress(deviceId: deviceId) ?? EnrolmentProgress(
                requestId: request.requestId, deviceId: deviceId, acceptedViews: 0, wantedViews: request.views, framesSeen: 0,
                hint: "starting", lastRefusal: nil, updatedAt: Date())))
            cameraBell.ring()
            deadlineBell.ring()
        }
    }

    /// Offers a camera frame to the enrolment in progress.
    func enrolmentFrame(_ frame: RGBImage, embedding: Embedding?, startedAt: ContinuousClock.Instant) {
        guard var session = enrolment, session.admittedAt <= startedAt, let embedding else { return }
        let due = session.offer(frame, embedding: embedding, now: .now)
        enrolment = session
        if due { jobSink.yield(.progress(session.progress(deviceId: deviceId))) }
        finishEnrolmentIfOver(now: Date())
    }

    /// Ends the enrolment once every view is taken or its time is up.
    func finishEnrolmentIfOver(now: Date) {
        guard let session = enrolment, session.isOver(now: now) else { return }
        enrolment = nil
        jobSink.yield(.enrolment(session))
    }

    /// Stores an enrolment's template and answer, or its progress.
    func publishEnrolment(_ job: PublishJob) async {
        switch job {
        case .progress(let progress):
            do { try await publisher.publishProgress(progress) } catch {
                logger.warning("cannot store enrolment progress", metadata: ["requestId": "\(progress.requestId)", "error": "\(error)"])
            }
        case .enrolment(let session):
            await finishEnrolment(session)
        case .verificationProgress(let progress):
            // Best effort: the page only waits longer for its number.
            do { try await publisher.publishProgress(progress) } catch {
                logger.debug("cannot store a request's progress", metadata: ["requestId": "\(progress.requestId)", "error": "\(error)"])
            }
        case .found, .notFound, .cameraUnavailable:
            break
        }
    }

    private func finishEnrolment(_ session: EnrolmentSession) async {
        let request = session.request
        let log = logger.with("requestId", request.requestId)
        var outcome = EnrolmentOutcome.refused
        var templateId: String?
        var reason = session.refusal
        var thumbnail: (jpeg: [UInt8], sha256: String)?
        if reason == nil {
            do {
                let template = try session.builder.build(
                    id: RandomID.hex128(), name: request.objectName, model: classifier.identity,
                    metadata: ["account": request.accountRef, "device": deviceId])
                guard let frame = session.thumbnailFrame else { throw TemplateError.malformed("no thumbnail frame") }
                thumbnail = try publisher.thumbnail(of: frame)
                try templates.save(template)
                outcome = .enrolled
                templateId = template.id
            } catch {
                reason = "\(error)"
            }
        }
        let result = EnrolmentResult(
            requestId: request.requestId, deviceId: deviceId, accountRef: request.accountRef, outcome: outcome,
            templateId: templateId, reason: reason.map { String($0.prefix(300)) }, quality: session.quality,
            thumbnailSHA256: thumbnail?.sha256, thumbnailBlob: thumbnail.map { _ in ResultLocation.thumbnailBlob(for: request.requestId) },
            completedAt: Date(), container: container.containerName)
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
        for attempt in 1...configuration.publishAttempts {
            do {
                let (envelope, _) = try await publisher.publishEnrolment(result, thumbnail: thumbnail?.jpeg)
                setStorageReachable(true)
                await hub.send(TelemetryMessage(
                    body: envelope.jsonData(),
                    properties: ["messageType": "edgefactor.enrolment-result", "requestId": request.requestId, "outcome": outcome.rawValue],
                    contentType: "application/json", contentEncoding: "utf-8", messageId: request.requestId, correlationId: request.requestId))
                log.info("enrolment answered", metadata: ["outcome": "\(outcome.rawValue)", "views": "\(session.quality.views)", "reason": "\(reason ?? "")"])
                await delete(session.delivery.message, from: session.delivery.queue, log: log)
                return
            } catch {
                setStorageReachable(false)
                log.warning("cannot store the enrolment result; retrying", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                guard attempt < configuration.publishAttempts, await backoff.sleep() else { break }
            }
        }
        log.error("giving up storing the enrolment result; the message goes back on the queue")
        await release(session.delivery)
    }
}

extension EnrolmentSession {
    /// A session that ends at once with `reason`.
    func refusing(_ reason: String) -> EnrolmentSession {
        var copy = self
        copy.forcedRefusal = reason
        return copy
    }
}
