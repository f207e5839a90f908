import Foundation
import Verification
import Vision

/// One enrolment in progress: the frames offered so far, the thumbnail candidate, and what to tell
/// the person. A value type the agent drives frame by frame; it decides when the capture is over.
struct EnrolmentSession: Sendable {
    let request: EnrolmentRequest
    var delivery: QueueMessageLease
    /// Frames captured before this do not count (they were asked for before the enrolment began).
    let admittedAt: ContinuousClock.Instant
    /// When the capture ends, views or not.
    let captureEnds: Date
    /// When the enrolment can no longer be answered.
    let deadline: Date
    private(set) var builder: TemplateBuilder
    /// The frame of the sharpest kept view, for the thumbnail.
    private(set) var thumbnailFrame: RGBImage?
    private(set) var hint = "hold the object in front of the camera and turn it slowly"
    private(set) var lastRefusal: String?
    private(set) var lastProgressAt: ContinuousClock.Instant?
    /// Set when the enrolment is refused before any frame (camera busy, model without embedding).
    var forcedRefusal: String?

    /// Why the capture does not make a template, nil when it does.
    var refusal: String? { forcedRefusal ?? builder.refusal?.description }

    init(request: EnrolmentRequest, delivery: QueueMessageLease, admittedAt: ContinuousClock.Instant, deadline: Date, policy: TemplateBuilder.Policy, now: Date = Date()) {
        self.request = request
        self.delivery = delivery
        self.admittedAt = admittedAt
        self.deadline = deadline
        captureEnds = min(deadline, now.addingTimeInterval(request.captureSeconds))
        var policy = policy
        policy = TemplateBuilder.Policy(
            wantedViews: request.views, minimumViews: min(policy.minimumViews, request.views), minimumSharpness: policy.minimumSharpness,
            maximumViewSimilarity: policy.maximumViewSimilarity, maximumEmptySceneSimilarity: policy.maximumEmptySceneSimilarity)
        builder = TemplateBuilder(policy: policy)
    }

    /// Offers one frame; returns whether a progress report is due.
    mutating func offer(_ frame: RGBImage, embedding: Embedding, now: ContinuousClock.Instant) -> Bool {
        let decision = builder.offer(embedding, sharpness: Sharpness.varianceOfLaplacian(frame))
        hint = decision.hint
        switch decision {
        case .accepted(let view):
            if builder.sharpestView == view { thumbnailFrame = frame }
        case .blurry, .repeated, .emptyScene:
            lastRefusal = decision.hint
        case .complete:
            break
        }
        let due: Bool
        if case .accepted = decision { due = true } else { due = lastProgressAt.map { now - $0 >= .milliseconds(500) } ?? true }
        if due { lastProgressAt = now }
        return due
    }

    /// Whether the capture is over: every view taken, or its time is up.
    func isOver(now: Date) -> Bool { builder.isComplete || now >= captureEnds }

    func progress(deviceId: String, now: Date = Date()) -> EnrolmentProgress {
        EnrolmentProgress(
            requestId: request.requestId, deviceId: deviceId, acceptedViews: builder.views.count, wantedViews: request.views,
            framesSeen: builder.framesSeen, hint: hint, lastRefusal: lastRefusal, updatedAt: now)
    }

    /// The quality figures reported with the result.
    var quality: TemplateQuality {
        TemplateQuality(
            views: builder.finalViews.count, framesSeen: builder.framesSeen, blurryFrames: builder.blurryFrames,
            repeatedFrames: builder.repeatedFrames, emptySceneFrames: builder.emptySceneFrames,
            meanViewSimilarity: builder.meanViewSimilarity, minimumSharpness: builder.viewSharpness.min() ?? 0,
            emptySceneSimilarity: builder.emptySceneSimilarity)
    }
}
