import Vision

/// One frame's class probabilities, read in percent, and its embedding when the model has one.
struct FrameScores: Sendable {
    let probabilities: [Float]
    var embedding: Embedding? = nil
    /// The model that made the embedding: a template of another model is never compared.
    var model: ModelIdentity? = nil

    /// The confidence in percent for a model class index (0 for an index the model lacks).
    func percent(_ classIndex: Int) -> Double {
        probabilities.indices.contains(classIndex) ? Double(probabilities[classIndex]) * 100 : 0
    }

    /// The frame's similarity to a template, nil without a comparable embedding.
    func similarity(to template: ObjectTemplate) -> (object: Double, emptyScene: Double?)? {
        guard let embedding, let model, (try? template.checkCompatible(with: model)) != nil else { return nil }
        return (template.similarity(embedding), template.emptySceneSimilarity(embedding))
    }
}
