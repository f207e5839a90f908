extension ImageClassifier {
    /// One frame's class scores and embedding, from a single inference.
    public struct FrameAnalysis: Sendable {
        public var classification: ClassificationResult
        /// Nil when the model has no embedding output.
        public var embedding: Embedding?
    }

    /// Whether ``embed(_:)`` works with this model.
    public var hasEmbedding: Bool { embeddingOutput != nil }

    /// The output to read as the embedding: the named one (an error if it does not exist, when the
    /// name was given explicitly). It may be the scores output itself, for a model that only
    /// extracts features.
    static func embeddingOutput(_ name: String?, explicit: Bool, session: ORTSession, scores: TensorDescription) throws(ClassifierError) -> TensorDescription? {
        guard let name else { return nil }
        guard let found = session.outputs.first(where: { $0.name == name }), found.isFloat else {
            guard explicit else { return nil }
            throw .unexpectedModel("no float output named \(name) to read embeddings from (outputs: \(session.outputs.map(\.description).joined(separator: "; "))); name another with --embedding-output")
        }
        let dims = found.shape.dropFirst()
        guard !dims.isEmpty, dims.allSatisfy({ $0 > 0 }), dims.reduce(1, *) <= 65_536 else {
            throw .unexpectedModel("embedding output \(found) needs a fixed size of at most 65,536 values")
        }
        return found
    }

    /// The unit-length embedding of `image`.
    public func embed(_ image: RGBImage) throws(ClassifierError) -> Embedding {
        guard let embedding = try analyze(image, topK: 1).embedding else {
            throw .unexpectedModel("model \(identity.fileName) has no embedding output: name one with --embedding-output (the default model's is `features`)")
        }
        return embedding
    }

    /// Class scores and embedding of `image` from one inference.
    public func analyze(_ image: RGBImage, topK: Int = 1) throws(ClassifierError) -> FrameAnalysis {
        let clock = ContinuousClock()
        let t0 = clock.now
        var tensor = try makeTensor(image)
        let t1 = clock.now
        var result = try analyze(tensor: &tensor, topK: topK)
        result.classification.timings.preprocess = t1 - t0
        return result
    }

    /// Class scores and embedding for a tensor made by ``makeTensor(_:)``.
    public func analyze(tensor: inout [Float], topK: Int = 1) throws(ClassifierError) -> FrameAnalysis {
        guard let embeddingOutput else {
            return FrameAnalysis(classification: try classify(tensor: &tensor, topK: topK), embedding: nil)
        }
        let expected = 3 * inputWidth * inputHeight
        guard tensor.count == expected else {
            throw .invalidImage("tensor has \(tensor.count) values, the model takes \(expected)")
        }
        let clock = ContinuousClock()
        let t0 = clock.now
        let shape = [1, 3, inputHeight, inputWidth]
        let shared = embeddingOutput.name == output.name
        let input = self.input, outputs = shared ? [output] : [output, embeddingOutput], session = self.session
        let result = tensor.withUnsafeMutableBufferPointer { buffer in
            Result { () throws(ClassifierError) in try session.run(input: input, shape: shape, data: buffer, outputs: outputs) }
        }
        var values = try result.get()
        if shared, let only = values.first { values.append(only) }
        let t1 = clock.now
        guard values.count == 2, values[0].values.count == classCount else {
            throw .unexpectedModel("output \(output.name) returned \(values.first?.values.count ?? 0) values, expected \(classCount)")
        }
        guard let embedding = Embedding(normalizing: values[1].values) else {
            throw .unexpectedModel("embedding output \(embeddingOutput.name) returned no usable vector (empty, all zeros or not finite)")
        }
        let probabilities = activate(values[0].values)
        let top = topClasses(probabilities, k: topK)
        let classification = ClassificationResult(top: top, probabilities: probabilities,
                                                  timings: StageTimings(inference: t1 - t0, postprocess: clock.now - t1))
        return FrameAnalysis(classification: classification, embedding: embedding)
    }
}
