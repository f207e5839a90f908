import AzureStorage
import EdgeFactorSupport
import Foundation
import IoTHub
import Logging
import Verification
import Vision

/// Watching the camera: each classified frame is matched against every watching request.
extension DeviceAgent {
    var isWatching: Bool { book.isWatching || requestsBeingAdmitted > 0 || enrolment != nil || previewWatched }

    nonisolated func cameraLoop() async {
        let clock = ContinuousClock()
        // Short: a camera that is down is retried for each new request, which waits for the answer.
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1))
        var failures = 0
        while !Task.isCancelled {
            guard await isWatching else {
                await cameraBell.wait(upTo: .seconds(1))
                continue
            }
            let started = clock.now
            let capturedAt = Date()
            let frame: RGBImage
            do {
                guard let next = try await frames.nextFrame() else {
                    logger.warning("the camera returned no frame; retrying")
                    failures += 1
                    await cameraFailed("the camera returned no frame", attempts: failures)
                    guard await backoff.sleep() else { return }
                    continue
                }
                frame = next
            } catch {
                logger.warning("cannot read a frame; retrying", metadata: ["error": "\(error)"])
                failures += 1
                await cameraFailed("cannot read a frame: \(error)", attempts: failures)
                guard await backoff.sleep() else { return }
                continue
            }
            backoff.reset()
            failures = 0
            await setCameraWorking(true)
            // Classification is long synchronous work, and the hops around it run inline when the
            // actor is free: without a real suspension point, two agents in one process (the
            // tests, the demo) would hold every cooperative thread and starve deadlines and I/O.
            await Task.yield()
            let inferenceStart = clock.now
            let analysis: ImageClassifier.FrameAnalysis
            // The model in use now; a swap takes effect from the next frame.
            let (classifier, generation) = await currentModel
            do {
                // One inference gives the class scores and, for personal objects, the embedding.
                analysis = try classifier.analyze(frame, topK: 1)
            } catch {
                logger.error("classification failed", metadata: ["error": "\(error)"])
                continue
            }
            let inference = clock.now - inferenceStart
            metrics.frameClassified(inference: inference)
            await showPreview(frame, classification: analysis.classification)
            let scores = FrameScores(probabilities: analysis.classification.probabilities, embedding: analysis.embedding, model: classifier.identity)
            await frameClassified(scores, generation: generation, frame: frame, startedAt: started, capturedAt: capturedAt, inference: inference)
        }
    }

    private var currentModel: (ImageClassifier, Int) { (classifier, modelGeneration) }

    func frameClassified(
        _ scores: FrameScores, generation: Int, frame: RGBImage, startedAt: ContinuousClock.Instant, capturedAt: Date, inference: Duration
    ) {
        // Scores from a model replaced meanwhile use the old class indices: skip the frame.
        guard generation == modelGeneration else { return }
        for match in book.match(capturedAfter: startedAt, confidence: scores.percent, similarity: scores.similarity(to:)) {
            jobSink.yield(.found(match.entry, frame: frame, confidence: match.confidence, capturedAt: capturedAt, inferenceMilliseconds: inference.inMilliseconds))
        }
        reportProgress()
        enrolmentFrame(frame, embedding: scores.embedding, startedAt: startedAt)
    }

    /// Publishes the best score of each watched request when it has risen by a point or more, at
    /// most once a second per request (each is a blob write).
    private func reportProgress(now: ContinuousClock.Instant = .now) {
        for entry in book.entries.values where entry.phase == .watching {
            let last = reportedProgress[entry.requestId]
            guard entry.bestConfidence >= (last?.value ?? 0) + 1, last.map({ now - $0.at >= .seconds(1) }) ?? true else { continue }
            reportedProgress[entry.requestId] = (entry.bestConfidence, now)
            jobSink.yield(.verificationProgress(VerificationProgress(
                requestId: entry.requestId, deviceId: deviceId, bestConfidence: min(100, entry.bestConfidence), updatedAt: Date())))
        }
        if reportedProgress.count > book.entries.count + 64 {
            reportedProgress = reportedProgress.filter { book.entries[$0.key] != nil }
        }
    }

    private func setCameraWorking(_ value: Bool) async {
        guard value != cameraWorking else { return }
        cameraWorking = value
        if value { cameraProblem = nil }
        logger.notice(value ? "the camera delivers frames again" : "the camera delivers no frames", metadata: ["problem": "\(cameraProblem ?? "")"])
        await hub.report(reportedState)  // only queues the patch: the hub may be away
    }

    /// After three failed reads in a row the camera counts as down: the requests being watched are
    /// answered at once (the person is told the camera is not working, and it does not count as a
    /// failed second factor). A new request gets one more read (the camera may be back) before
    /// it is answered the same way.
    private func cameraFailed(_ problem: String, attempts: Int) async {
        guard attempts >= Self.cameraFailuresBeforeDown else { return }
        cameraProblem = problem
        await setCameraWorking(false)
        for entry in book.entries.values where entry.phase == .watching {
            guard let decided = book.decide(entry.requestId, outcome: .cameraUnavailable) else { continue }
            logger.warning("the camera delivers no frames; answering at once", metadata: ["requestId": "\(entry.requestId)", "problem": "\(problem)"])
            jobSink.yield(.cameraUnavailable(decided))
        }
    }

    static let cameraFailuresBeforeDown = 3
    func setStorageReachable(_ value: Bool) {
        storageReachable = value
        metrics.storageReachable.set(to: value ? 1 : 0)
    }
}
