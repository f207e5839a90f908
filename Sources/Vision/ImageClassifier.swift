import Foundation

/// An image classifier on ONNX Runtime: pre-processing, inference, softmax and top-K.
///
/// Safe to share between tasks: `classify` allocates its own buffers and ONNX Runtime's Run is
/// thread-safe.
public final class ImageClassifier: Sendable {
    public let configuration: ClassifierConfiguration
    public let labels: LabelSet
    /// The model input and output in use.
    public let input: TensorDescription
    public let output: TensorDescription
    /// The output read as the image embedding, when the model has one (see ``embed(_:)``).
    public let embeddingOutput: TensorDescription?
    /// Which model this is, for templates: file name, SHA-256, embedding output and pre-processing.
    public let identity: ModelIdentity
    /// Model input size in pixels.
    public let inputWidth: Int
    public let inputHeight: Int
    /// The pre-processing in use (configured, from the model's metadata, or the default).
    public let preprocessing: Preprocessing
    /// ONNX Runtime's version and library path.
    public let runtimeVersion: String
    public let runtimePath: String

    let session: ORTSession
    let classCount: Int

    static let metadataKeys = [
        "edgefactor.preprocess.mean", "edgefactor.preprocess.std", "edgefactor.preprocess.crop",
        "edgefactor.preprocess.resize", "edgefactor.output", "edgefactor.embedding",
    ]

    public init(configuration: ClassifierConfiguration) throws(ClassifierError) {
        self.configuration = configuration
        guard FileManager.default.isReadableFile(atPath: configuration.modelPath) else {
            throw .modelNotFound(configuration.modelPath)
        }
        let runtime = try ONNXRuntime.load(explicit: configuration.runtimeLibrary)
        runtimeVersion = runtime.version
        runtimePath = runtime.path
        let session = try ORTSession(runtime: runtime, modelPath: configuration.modelPath,
                                     options: configuration.session, metadataKeys: Self.metadataKeys)
        self.session = session

        // Input: the named one, or the only float rank-4 input.
        let input: TensorDescription
        if let name = configuration.inputName {
            guard let found = session.inputs.first(where: { $0.name == name }) else {
                throw .unexpectedModel("no input named \(name) (inputs: \(session.inputs.map(\.description).joined(separator: "; ")))")
            }
            input = found
        } else {
            let candidates = session.inputs.filter { $0.isFloat && $0.shape.count == 4 }
            guard candidates.count == 1, let only = candidates.first else {
                throw .unexpectedModel("cannot tell which input is the image (inputs: \(session.inputs.map(\.description).joined(separator: "; ")))")
            }
            input = only
        }
        guard input.isFloat, input.shape.count == 4 else {
            throw .unexpectedModel("input \(input) is not a float NCHW tensor")
        }
        guard input.shape[1] == 3 else {
            throw .unexpectedModel("input \(input) has \(input.shape[1]) channels; only 3-channel NCHW images are supported")
        }
        guard input.shape[0] <= 1, input.shape[2] > 0, input.shape[3] > 0,
              input.shape[2] <= 4096, input.shape[3] <= 4096 else {
            throw .unexpectedModel("input \(input) needs a fixed height and width (up to 4096) and a batch of 1 or dynamic")
        }
        self.input = input
        inputHeight = input.shape[2]
        inputWidth = input.shape[3]

        let output: TensorDescription
        if let name = configuration.outputName {
            guard let found = session.outputs.first(where: { $0.name == name }) else {
                throw .unexpectedModel("no output named \(name) (outputs: \(session.outputs.map(\.description).joined(separator: "; ")))")
            }
            output = found
        } else {
            guard let first = session.outputs.first(where: { $0.isFloat }) else {
                throw .unexpectedModel("no float output (outputs: \(session.outputs.map(\.description).joined(separator: "; ")))")
            }
            output = first
        }
        guard output.isFloat else { throw .unexpectedModel("output \(output) is not float") }
        // Classes: the product of the non-batch dimensions ([1,K], [1,K,1,1] or [K]).
        let classDims = output.shape.count > 1 ? Array(output.shape.dropFirst()) : output.shape
        guard !classDims.isEmpty, classDims.allSatisfy({ $0 > 0 }), classDims.filter({ $0 > 1 }).count <= 1 else {
            throw .unexpectedModel("output \(output) is not a vector of class scores")
        }
        let classCount = classDims.reduce(1, *)
        guard classCount >= 1, classCount <= 1_000_000 else { throw .unexpectedModel("output \(output) has \(classCount) classes") }
        self.output = output
        self.classCount = classCount

        if let path = configuration.labelsPath {
            let labels = try LabelSet(contentsOf: path)
            guard labels.count == classCount else {
                throw .labelCountMismatch(labels: labels.count, outputs: classCount, labelsPath: path)
            }
            self.labels = labels
        } else {
            labels = .numbered(classCount)
        }
        let preprocessing = configuration.preprocessing ?? Self.preprocessing(fromMetadata: session) ?? .jetson
        self.preprocessing = preprocessing
        let embeddingOutput = try Self.embeddingOutput(configuration.embeddingOutputName ?? session.metadataValue("edgefactor.embedding"),
                                                       explicit: configuration.embeddingOutputName != nil, session: session, scores: output)
        self.embeddingOutput = embeddingOutput
        identity = try ModelIdentity(modelPath: configuration.modelPath, embeddingOutput: embeddingOutput, preprocessing: preprocessing)
    }

    private init(copying other: ImageClassifier, preprocessing: Preprocessing) {
        configuration = other.configuration
        labels = other.labels
        input = other.input
        output = other.output
        inputWidth = other.inputWidth
        inputHeight = other.inputHeight
        runtimeVersion = other.runtimeVersion
        runtimePath = other.runtimePath
        session = other.session
        classCount = other.classCount
        embeddingOutput = other.embeddingOutput
        identity = other.identity.with(preprocessing: preprocessing)
        self.preprocessing = preprocessing
    }

    /// The same classifier (sharing its session) with different pre-processing.
    public func with(preprocessing: Preprocessing) -> ImageClassifier {
        ImageClassifier(copying: self, preprocessing: preprocessing)
    }

    /// Pre-processing written into the model by EdgeFactor's converter, if any.
    private static func preprocessing(fromMetadata session: ORTSession) -> Preprocessing? {
        func floats(_ key: String) -> [Float]? {
            session.metadataValue(key).map { $0.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) } }
        }
        guard let mean = floats("edgefactor.preprocess.mean"), let std = floats("edgefactor.preprocess.std"),
              mean.count == 3, std.count == 3, std.allSatisfy({ $0 != 0 }) else { return nil }
        let crop = session.metadataValue("edgefactor.preprocess.crop").flatMap(Double.init)
        let filter = session.metadataValue("edgefactor.preprocess.resize").flatMap(ResizeFilter.init(rawValue:)) ?? .bilinear
        // Metadata values are on the 0...255 scale; meanStd works on 0...1.
        let normalization = Preprocessing.Normalization.meanStd(mean: mean.map { $0 / 255 }, std: std.map { $0 / 255 })
        return Preprocessing(geometry: crop.map { .centerCrop(fraction: $0) } ?? .stretch, filter: filter, normalization: normalization)
    }

    /// Decoding options that let JPEG decoding skip detail the model cannot use.
    public var decodingOptions: ImageDecodingOptions {
        ImageDecodingOptions(minimumShortSide: preprocessing.minimumShortSide(inputWidth: inputWidth, inputHeight: inputHeight))
    }

    /// The best `topK` classes for `image`, highest first.
    public func classify(_ image: RGBImage, topK: Int = 5) throws(ClassifierError) -> [Classification] {
        try classifyWithDetails(image, topK: topK).top
    }

    /// Classification with every probability and the time per stage.
    public func classifyWithDetails(_ image: RGBImage, topK: Int = 5) throws(ClassifierError) -> ClassificationResult {
        let clock = ContinuousClock()
        let t0 = clock.now
        var tensor = try makeTensor(image)
        let t1 = clock.now
        let raw = try infer(&tensor)
        let t2 = clock.now
        let probabilities = activate(raw)
        let top = topClasses(probabilities, k: topK)
        let t3 = clock.now
        return ClassificationResult(top: top, probabilities: probabilities,
                                    timings: StageTimings(preprocess: t1 - t0, inference: t2 - t1, postprocess: t3 - t2))
    }

    /// Inference, softmax and top-K for a tensor made by ``makeTensor(_:)`` (pre-processing time
    /// is left at zero).
    public func classify(tensor: inout [Float], topK: Int = 5) throws(ClassifierError) -> ClassificationResult {
        let clock = ContinuousClock()
        let t0 = clock.now
        let raw = try infer(&tensor)
        let t1 = clock.now
        let probabilities = activate(raw)
        let top = topClasses(probabilities, k: topK)
        return ClassificationResult(top: top, probabilities: probabilities,
                                    timings: StageTimings(inference: t1 - t0, postprocess: clock.now - t1))
    }

    /// The model input tensor for `image` (NCHW floats, batch of one).
    public func makeTensor(_ image: RGBImage) throws(ClassifierError) -> [Float] {
        do {
            return try preprocessing.tensor(from: image, inputWidth: inputWidth, inputHeight: inputHeight)
        } catch {
            throw .invalidImage(error.description)
        }
    }

    /// Raw model outputs (logits or probabilities, as the model gives them) for an input tensor.
    public func infer(_ tensor: inout [Float]) throws(ClassifierError) -> [Float] {
        let expected = 3 * inputWidth * inputHeight
        guard tensor.count == expected else {
            throw .invalidImage("tensor has \(tensor.count) values, the model takes \(expected)")
        }
        let shape = [1, 3, inputHeight, inputWidth]
        let input = self.input, output = self.output, session = self.session
        let result = tensor.withUnsafeMutableBufferPointer { buffer in
            Result { () throws(ClassifierError) in try session.run(input: input, shape: shape, data: buffer, output: output) }
        }
        let values = try result.get().values
        guard values.count == classCount else {
            throw .unexpectedModel("output \(output.name) returned \(values.count) values, expected \(classCount)")
        }
        return values
    }

    /// Probabilities from raw outputs, as configured.
    public func activate(_ raw: [Float]) -> [Float] {
        switch configuration.outputActivation {
        case .none: return raw
        case .softmax: return Self.softmax(raw)
        case .automatic:
            let sum = raw.reduce(0, +)
            let isDistribution = raw.allSatisfy { $0 >= 0 && $0 <= 1 } && abs(sum - 1) < 1e-3
            return isDistribution ? raw : Self.softmax(raw)
        }
    }

    static func softmax(_ values: [Float]) -> [Float] {
        guard let maximum = values.max(), maximum.isFinite else { return values }
        var result = values.map { Float(exp(Double($0 - maximum))) }
        let total = result.reduce(0, +)
        if total > 0 { for i in result.indices { result[i] /= total } }
        return result
    }

    /// The `k` highest probabilities with labels, highest first.
    public func topClasses(_ probabilities: [Float], k: Int) -> [Classification] {
        let k = min(max(k, 1), probabilities.count)
        // Partial selection: keep a small sorted list instead of sorting 1000 values.
        var best: [(Int, Float)] = []
        best.reserveCapacity(k + 1)
        for (i, p) in probabilities.enumerated() where best.count < k || p > best[best.count - 1].1 {
            let at = best.firstIndex { p > $0.1 } ?? best.count
            best.insert((i, p), at: at)
            if best.count > k { best.removeLast() }
        }
        return best.map { Classification(classIndex: $0.0, label: labels[$0.0], confidence: $0.1) }
    }
}
