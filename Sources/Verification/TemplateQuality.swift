/// What an enrolment measured: shown to the person with the result, kept with the template.
public struct TemplateQuality: Codable, Sendable, Hashable {
    /// Views kept in the template.
    public var views: Int
    /// Frames the camera delivered during the capture.
    public var framesSeen: Int
    /// Frames refused as blurred or flat (dark, uniform).
    public var blurryFrames: Int
    /// Frames refused as too close to a view already kept (hold still less, turn the object).
    public var repeatedFrames: Int
    /// Frames refused as showing only the empty scene.
    public var emptySceneFrames: Int
    /// Mean cosine similarity between the kept views (lower is more varied).
    public var meanViewSimilarity: Double
    /// The sharpness (variance of the Laplacian) of the least sharp kept view.
    public var minimumSharpness: Double
    /// The highest similarity of a kept view to the empty scene, when one was seen.
    public var emptySceneSimilarity: Double?

    public init(
        views: Int, framesSeen: Int, blurryFrames: Int, repeatedFrames: Int, emptySceneFrames: Int,
        meanViewSimilarity: Double, minimumSharpness: Double, emptySceneSimilarity: Double?
    ) {
        self.views = views
        self.framesSeen = framesSeen
        self.blurryFrames = blurryFrames
        self.repeatedFrames = repeatedFrames
        self.emptySceneFrames = emptySceneFrames
        self.meanViewSimilarity = meanViewSimilarity
        self.minimumSharpness = minimumSharpness
        self.emptySceneSimilarity = emptySceneSimilarity
    }

    func validate() throws(VerificationError) {
        let counts = [views, framesSeen, blurryFrames, repeatedFrames, emptySceneFrames]
        guard counts.allSatisfy({ (0...1_000_000).contains($0) }) else {
            throw .invalidField(name: "quality", reason: "counts must be 0–1,000,000")
        }
        guard meanViewSimilarity.isFinite, (-1...1).contains(meanViewSimilarity),
              minimumSharpness.isFinite, minimumSharpness >= 0,
              emptySceneSimilarity.map({ $0.isFinite && (-1...1).contains($0) }) ?? true
        else { throw .invalidField(name: "quality", reason: "figures out of range") }
    }
}
