/// One frame's class probabilities, read in percent.
struct FrameScores: Sendable {
    let probabilities: [Float]

    /// The confidence in percent for a model class index (0 for an index the model lacks).
    func percent(_ classIndex: Int) -> Double {
        probabilities.indices.contains(classIndex) ? Double(probabilities[classIndex]) * 100 : 0
    }
}
