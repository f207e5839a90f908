/// When a stream of frames verifies a template: at least `requiredFrames` of the last `window`
/// frames score at or above `threshold`, so that one lucky frame never verifies.
public struct MatchPolicy: Sendable, Equatable {
    /// The default operating point, chosen from the DET curve in docs/benchmarks.md.
    public static let standard = MatchPolicy(threshold: 0.72, requiredFrames: 3, window: 5)

    /// Cosine similarity (0…1) a frame needs to count as matching.
    public var threshold: Double
    public var requiredFrames: Int
    public var window: Int
    /// A frame also needs to be closer to the object than to the empty scene by this much, when
    /// the template recorded the empty scene.
    public var emptySceneMargin: Double

    public init(threshold: Double, requiredFrames: Int, window: Int, emptySceneMargin: Double = 0.05) {
        self.threshold = threshold
        self.requiredFrames = max(1, requiredFrames)
        self.window = max(self.requiredFrames, window)
        self.emptySceneMargin = emptySceneMargin
    }
}

/// Follows one verification's frames under a ``MatchPolicy``: a value type, so the rule is tested
/// without a camera.
public struct MatchTracker: Sendable, Equatable {
    public let policy: MatchPolicy
    private var recent: [Bool] = []
    /// The best similarity seen so far.
    public private(set) var bestSimilarity: Double = -1
    /// The lowest similarity among the frames that made the decision (what the result reports).
    public private(set) var decidingSimilarity: Double?
    public private(set) var framesSeen = 0

    public init(policy: MatchPolicy) {
        self.policy = policy
    }

    /// Whether one frame counts as matching.
    public func isMatch(similarity: Double, emptyScene: Double?) -> Bool {
        guard similarity >= policy.threshold else { return false }
        guard let emptyScene else { return true }
        return similarity >= emptyScene + policy.emptySceneMargin
    }

    /// Records one frame; true once the policy is met (it stays met).
    @discardableResult
    public mutating func record(similarity: Double, emptyScene: Double? = nil) -> Bool {
        if decidingSimilarity != nil { return true }
        framesSeen += 1
        bestSimilarity = max(bestSimilarity, similarity)
        recent.append(isMatch(similarity: similarity, emptyScene: emptyScene))
        scores.append(similarity)
        if recent.count > policy.window {
            recent.removeFirst()
            scores.removeFirst()
        }
        guard recent.filter({ $0 }).count >= policy.requiredFrames else { return false }
        decidingSimilarity = zip(recent, scores).filter(\.0).map(\.1).min()
        return true
    }

    private var scores: [Double] = []

    public var isMatched: Bool { decidingSimilarity != nil }
}
