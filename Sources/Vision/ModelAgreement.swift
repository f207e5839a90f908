/// How often a candidate model (such as set-up's int8 quantization) answers as a reference model
/// (the fp32 original) does on the same input tensors.
///
/// - Top-1 agreement: the share of frames where both models' best class is the same.
/// - Top-5 agreement: the share of frames where the reference's best class is among the
///   candidate's five best (top-5 accuracy, with the reference's answer as the truth).
/// - Embedding: the cosine similarity of the two models' embeddings of the same frame (when both
///   have one), which says whether templates and thresholds made with one carry over to the other.
public struct ModelAgreement: Sendable, Equatable, CustomStringConvertible {
    public private(set) var frames = 0
    public private(set) var top1Matches = 0
    public private(set) var top5Matches = 0
    /// Embedding comparisons made (frames where both models gave an embedding).
    public private(set) var embeddingFrames = 0
    /// The lowest and the summed cosine similarity of the two embeddings.
    public private(set) var lowestEmbeddingSimilarity = 1.0
    private var embeddingSimilaritySum = 0.0

    public init() {}

    /// Compares one frame's results. `candidate` needs at least its five best classes.
    public mutating func add(reference: ImageClassifier.FrameAnalysis, candidate: ImageClassifier.FrameAnalysis) {
        frames += 1
        let best = reference.classification.top.first?.classIndex
        if best != nil, best == candidate.classification.top.first?.classIndex { top1Matches += 1 }
        if let best, candidate.classification.top.prefix(5).contains(where: { $0.classIndex == best }) { top5Matches += 1 }
        if let a = reference.embedding, let b = candidate.embedding {
            let similarity = a.similarity(to: b)
            embeddingFrames += 1
            embeddingSimilaritySum += similarity
            lowestEmbeddingSimilarity = min(lowestEmbeddingSimilarity, similarity)
        }
    }

    /// Adds another tally (for example a second set of frames).
    public mutating func add(_ other: ModelAgreement) {
        frames += other.frames
        top1Matches += other.top1Matches
        top5Matches += other.top5Matches
        embeddingFrames += other.embeddingFrames
        embeddingSimilaritySum += other.embeddingSimilaritySum
        lowestEmbeddingSimilarity = min(lowestEmbeddingSimilarity, other.lowestEmbeddingSimilarity)
    }

    /// Runs both models on `tensor` (made by the reference's ``ImageClassifier/makeTensor(_:)``;
    /// the two must share the input size), compares their answers and returns the reference's.
    @discardableResult
    public mutating func compare(_ reference: ImageClassifier, _ candidate: ImageClassifier, tensor: [Float]) throws(ClassifierError) -> ImageClassifier.FrameAnalysis {
        try compare(reference, candidate, reference: tensor, candidate: tensor)
    }

    /// Compares the reference's answer for one tensor with the candidate's for another (the same
    /// model on a perturbed input measures how stable the answers are at all); returns the reference's.
    @discardableResult
    public mutating func compare(_ reference: ImageClassifier, _ candidate: ImageClassifier,
                                 reference referenceTensor: [Float], candidate candidateTensor: [Float]) throws(ClassifierError) -> ImageClassifier.FrameAnalysis {
        var input = referenceTensor
        let expected = try reference.analyze(tensor: &input, topK: 5)
        input = candidateTensor
        let got = try candidate.analyze(tensor: &input, topK: 5)
        add(reference: expected, candidate: got)
        return expected
    }

    /// How far the best class is ahead of the second (probabilities, 0…1). A frame with a small
    /// margin is a near tie whose best class any small perturbation of the input can flip.
    public static func margin(of analysis: ImageClassifier.FrameAnalysis) -> Double {
        let top = analysis.classification.top
        guard let first = top.first else { return 0 }
        return Double(first.confidence - (top.count > 1 ? top[1].confidence : 0))
    }

    /// Share of frames with the same best class (0…1; 0 without frames).
    public var top1: Double { frames == 0 ? 0 : Double(top1Matches) / Double(frames) }
    /// Share of frames where the reference's best class is among the candidate's five best.
    public var top5: Double { frames == 0 ? 0 : Double(top5Matches) / Double(frames) }
    /// Mean cosine similarity of the two embeddings (nil without embeddings).
    public var meanEmbeddingSimilarity: Double? {
        embeddingFrames == 0 ? nil : embeddingSimilaritySum / Double(embeddingFrames)
    }

    public var description: String {
        func pct(_ v: Double) -> String { String(format: "%.2f %%", v * 100) }
        var text = "\(frames) frames: top-1 \(pct(top1)) (\(top1Matches)), top-5 \(pct(top5)) (\(top5Matches))"
        if let mean = meanEmbeddingSimilarity {
            text += String(format: ", embedding cosine mean %.4f, lowest %.4f", mean, lowestEmbeddingSimilarity)
        }
        return text
    }
}
