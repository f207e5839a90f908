public import Foundation

/// Builds a template from enrolment frames, keeping only views that are sharp, distinct from the
/// views already kept, and different from the empty scene. A value type fed by whoever reads the
/// frames (the CLI's `enrol`, the agent's enrolment), so the rules are tested without a camera.
public struct TemplateBuilder: Sendable {
    public struct Policy: Sendable, Equatable {
        /// Views to collect.
        public var wantedViews: Int
        /// Fewest views a usable template has (the enrolment ends short of `wantedViews` with at
        /// least this many when the frames run out).
        public var minimumViews: Int
        /// Frames below this variance of the Laplacian are refused as blurred, dark or uniform.
        public var minimumSharpness: Double
        /// A view this similar to a kept view adds nothing: refused as a repeat.
        public var maximumViewSimilarity: Double
        /// A view this similar to the empty scene shows no object: refused.
        public var maximumEmptySceneSimilarity: Double
        /// When the capture ends short of `wantedViews`, frames refused as repeats but less similar
        /// than this to every kept view are added, the most different first.
        public var maximumTopUpSimilarity: Double = 0.95

        public static let standard = Policy(wantedViews: 5, minimumViews: 3, minimumSharpness: 50, maximumViewSimilarity: 0.90, maximumEmptySceneSimilarity: 0.85)

        public init(wantedViews: Int, minimumViews: Int, minimumSharpness: Double, maximumViewSimilarity: Double, maximumEmptySceneSimilarity: Double) {
            self.wantedViews = min(max(1, wantedViews), ObjectTemplate.maximumViews)
            self.minimumViews = min(max(1, minimumViews), self.wantedViews)
            self.minimumSharpness = minimumSharpness
            self.maximumViewSimilarity = maximumViewSimilarity
            self.maximumEmptySceneSimilarity = maximumEmptySceneSimilarity
        }
    }

    /// What became of one offered frame.
    public enum Decision: Sendable, Equatable {
        case accepted(view: Int)
        case blurry(sharpness: Double)
        case repeated(similarity: Double)
        case emptyScene(similarity: Double)
        /// Enough views are kept; the frame was not needed.
        case complete

        /// Advice for the person at the camera.
        public var hint: String {
            switch self {
            case .accepted: "view taken: turn the object slowly to show another side"
            case .blurry: "the picture is blurred or too dark: hold the object still, in good light"
            case .repeated: "this view is like one already taken: turn the object slowly"
            case .emptyScene: "the camera sees only the empty scene: hold the object in front of it"
            case .complete: "all views taken"
            }
        }
    }

    public let policy: Policy
    public private(set) var views: [Embedding] = []
    public private(set) var viewSharpness: [Double] = []
    public private(set) var emptyScene: [Embedding] = []
    public private(set) var framesSeen = 0
    public private(set) var blurryFrames = 0
    public private(set) var repeatedFrames = 0
    public private(set) var emptySceneFrames = 0
    /// The sharpest kept view's index (the thumbnail).
    public private(set) var sharpestView: Int?
    /// Sharp frames refused as repeats, kept to top the views up at the end (at most 256).
    private var candidates: [Embedding] = []
    static let maximumCandidates = 256

    public init(policy: Policy = .standard) {
        self.policy = policy
    }

    public var isComplete: Bool { views.count >= policy.wantedViews }

    /// Records a frame of the scene without the object.
    public mutating func addEmptyScene(_ embedding: Embedding) {
        guard emptyScene.count < ObjectTemplate.maximumEmptyScene else { return }
        if emptyScene.allSatisfy({ $0.similarity(to: embedding) < 0.99 }) { emptyScene.append(embedding) }
    }

    /// Offers one frame's embedding and sharpness.
    public mutating func offer(_ embedding: Embedding, sharpness: Double) -> Decision {
        guard !isComplete else { return .complete }
        framesSeen += 1
        guard sharpness >= policy.minimumSharpness else {
            blurryFrames += 1
            return .blurry(sharpness: sharpness)
        }
        let toScene = emptyScene.map { $0.similarity(to: embedding) }.max() ?? -1
        if toScene >= policy.maximumEmptySceneSimilarity {
            emptySceneFrames += 1
            return .emptyScene(similarity: toScene)
        }
        let toViews = views.map { $0.similarity(to: embedding) }.max() ?? -1
        if toViews >= policy.maximumViewSimilarity {
            repeatedFrames += 1
            if candidates.count < Self.maximumCandidates { candidates.append(embedding) }
            return .repeated(similarity: toViews)
        }
        views.append(embedding)
        viewSharpness.append(sharpness)
        if sharpestView.map({ sharpness > viewSharpness[$0] }) ?? true { sharpestView = views.count - 1 }
        return .accepted(view: views.count - 1)
    }

    /// The views a template gets: the kept ones, topped up from the repeats (the most different
    /// from the views so far first) while fewer than wanted and while one is different enough.
    public var finalViews: [Embedding] {
        var chosen = views
        var pool = candidates
        while chosen.count < policy.wantedViews, !pool.isEmpty {
            let scored = pool.enumerated().map { ($0.offset, chosen.map($0.element.similarity).max() ?? -1) }
            guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 < policy.maximumTopUpSimilarity else { break }
            chosen.append(pool.remove(at: best.0))
        }
        return chosen
    }

    /// Mean cosine similarity between the final views (1 for a single view).
    public var meanViewSimilarity: Double {
        let views = finalViews
        guard views.count > 1 else { return 1 }
        var total = 0.0, pairs = 0
        for i in views.indices { for j in views.indices where j > i { total += views[i].similarity(to: views[j]); pairs += 1 } }
        return total / Double(pairs)
    }

    /// The highest similarity of a kept view to the empty scene, nil when none was recorded.
    public var emptySceneSimilarity: Double? {
        emptyScene.isEmpty || views.isEmpty ? nil : finalViews.map { v in emptyScene.map { v.similarity(to: $0) }.max() ?? -1 }.max()
    }

    /// Why the frames so far do not make a usable template, or nil when they do.
    public var refusal: EnrolmentRefusal? {
        let views = finalViews
        guard views.count < policy.minimumViews else { return nil }
        if framesSeen == 0 {
            return EnrolmentRefusal(.noFrames, "the camera delivered no frames: check that it is connected and not used by another program")
        }
        if blurryFrames == framesSeen {
            return EnrolmentRefusal(.blurry, "every frame was blurred, dark or uniform (\(framesSeen) frames): light the object well, hold it still and check the camera's focus")
        }
        if emptySceneFrames > 0, emptySceneFrames >= repeatedFrames {
            return EnrolmentRefusal(.emptyScene, "nothing stands apart from the empty scene (\(emptySceneFrames) of \(framesSeen) frames): hold the object close to the camera, filling much of the picture")
        }
        return EnrolmentRefusal(.tooFewViews, "only \(views.count) distinct views of the \(policy.minimumViews) needed (\(repeatedFrames) frames repeated a view, \(blurryFrames) were blurred): turn the object slowly so the camera sees several sides")
    }

    /// The template, or the refusal that says what to do.
    public func build(id: String, name: String, model: ModelIdentity, createdAt: Date = Date(), metadata: [String: String] = [:]) throws(TemplateError) -> ObjectTemplate {
        if let refusal { throw .refused(refusal) }
        return try ObjectTemplate(id: id, name: name, createdAt: createdAt, model: model, views: finalViews, emptyScene: emptyScene, metadata: metadata)
    }
}
