import AzureStorage
import EdgeFactorSupport
import Foundation
import IoTHub
import Logging
import Verification
import Vision

/// Storing and reporting results: image, signed result, telemetry, then the queue message goes.
extension DeviceAgent {
    func publish(_ job: PublishJob) async {
        guard let entry = job.entry else {
            await publishEnrolment(job)
            return
        }
        let request = entry.request
        let log = logger.with("requestId", request.requestId)
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
        var published: ResultPublisher.Published?
        for attempt in 1...configuration.publishAttempts {
            do {
                switch job {
                case .found(_, let frame, let confidence, let capturedAt, let inferenceMs):
                    var result = try await publisher.publishFound(request: request, frame: frame, confidence: confidence, capturedAt: capturedAt)
                    result.timings["inference"] = inferenceMs
                    published = result
                case .notFound(let entry):
                    published = try await publisher.publishNotFound(request: request, bestConfidence: entry.bestConfidence)
                case .cameraUnavailable(let entry):
                    published = try await publisher.publishNotFound(request: request, bestConfidence: entry.bestConfidence, outcome: .cameraUnavailable)
                case .enrolment, .progress, .verificationProgress:
                    return
                }
                setStorageReachable(true)
                break
            } catch {
                setStorageReachable(false)
                log.warning("cannot store the result; retrying", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                guard attempt < configuration.publishAttempts, await backoff.sleep() else { break }
            }
        }
        guard var published else {
            log.error("giving up storing the result for now; the request goes back on the queue")
            if let current = book.remove(request.requestId) { await release(current.delivery) }
            afterRemoval()
            return
        }
        let lease = book.entry(request.requestId)?.delivery ?? entry.delivery
        let now = ContinuousClock.now
        published.timings["watch"] = (now - lease.receivedAt).inMilliseconds - (published.timings["upload"] ?? 0) - (published.timings["encode"] ?? 0)
        published.timings["total"] = (now - lease.receivedAt).inMilliseconds
        if let enqueuedAt = lease.enqueuedAt {
            published.timings["queue"] = max(0, Date().timeIntervalSince(enqueuedAt) * 1000 - (now - lease.receivedAt).inMilliseconds)
        }
        if published.stored {
            await hub.send(telemetry(for: published))
            metrics.endToEnd.record(now - lease.receivedAt)
            switch published.result.outcome {
            case .found: metrics.succeeded.increment()
            case .notFound: metrics.expired.increment()
            case .cameraUnavailable: metrics.cameraUnavailable.increment()
            }
            log.info("answered", metadata: [
                "outcome": "\(published.result.outcome.rawValue)", "confidence": "\(String(format: "%.1f", published.result.confidence))",
                "ms": "\(String(format: "%.1f", published.timings["total"] ?? 0))",
            ])
        } else {
            log.info("a result was already stored by an earlier attempt; keeping it")
        }
        await deleteAnswered(request.requestId, log: log)
        book.remove(request.requestId)
        afterRemoval()
        await recordLeases()
    }

    /// Deletes the message of an answered request, retrying once with a newer pop receipt if the
    /// lease keeper renewed it meanwhile.
    private func deleteAnswered(_ requestId: String, log: Logger) async {
        guard let first = book.entry(requestId)?.delivery else { return }
        do {
            try await first.queue.delete(first.message)
        } catch {
            if let latest = book.entry(requestId)?.delivery, latest.message.popReceipt != first.message.popReceipt,
               (try? await latest.queue.delete(latest.message)) != nil {
                return
            }
            log.warning("cannot delete the answered request's message; its redelivery will only be acknowledged", metadata: ["error": "\(error)"])
        }
    }

    func afterRemoval() {
        updatePendingGauge()
        slotBell.ring()
        finishIfDrained()
    }

    func updatePendingGauge() { metrics.pending.set(to: Double(book.count)) }

    func telemetry(for published: ResultPublisher.Published) -> TelemetryMessage {
        let body = ResultTelemetry(result: published.envelope, timings: published.timings)
        return TelemetryMessage(
            body: (try? body.jsonData()) ?? Data(),
            properties: [
                "messageType": ResultTelemetry.messageType,
                "requestId": published.result.requestId,
                "outcome": published.result.outcome.rawValue,
            ],
            contentType: "application/json", contentEncoding: "utf-8",
            messageId: published.result.requestId, correlationId: published.result.requestId)
    }
}
