import EdgeFactorSupport
import Foundation

/// Everything needed to build an ``ImageClassifier``.
public struct ClassifierConfiguration: Sendable {
    /// Path of the `.onnx` model.
    public var modelPath: String
    /// Path of the labels file (text or JSON); nil gives numbered classes.
    public var labelsPath: String?
    /// Model input to feed (`--input-blob`); nil picks the only float image input.
    public var inputName: String?
    /// Model output to read (`--output-blob`); nil picks the first float output.
    public var outputName: String?
    /// Model output holding the image embedding (`--embedding-output`); nil takes the model's
    /// `edgefactor.embedding` metadata, else the classifier has no embedding.
    public var embeddingOutputName: String?
    /// Pre-processing; nil takes it from the model's `edgefactor.preprocess.*` metadata when
    /// present, else jetson-inference's (``Preprocessing/jetson``).
    public var preprocessing: Preprocessing?
    /// How outputs become probabilities.
    public var outputActivation: OutputActivation
    public var session: SessionOptions
    /// Explicit path of `libonnxruntime.so`; nil searches (see docs/vision.md, "ONNX Runtime").
    public var runtimeLibrary: String?

    public init(modelPath: String, labelsPath: String? = nil, inputName: String? = nil, outputName: String? = nil,
                embeddingOutputName: String? = nil, preprocessing: Preprocessing? = nil,
                outputActivation: OutputActivation = .automatic,
                session: SessionOptions = SessionOptions(), runtimeLibrary: String? = nil) {
        self.embeddingOutputName = embeddingOutputName
        self.modelPath = modelPath
        self.labelsPath = labelsPath
        self.inputName = inputName
        self.outputName = outputName
        self.preprocessing = preprocessing
        self.outputActivation = outputActivation
        self.session = session
        self.runtimeLibrary = runtimeLibrary
    }

    /// File names of the default model inside `<home>/models`.
    public static let defaultModelFile = DefaultModel.name + ".onnx"
    public static let defaultLabelsFile = "labels.txt"

    /// The default model built by set-up: EfficientNet-Lite0 (ImageNet-1k) in
    /// `<home>/models` (home: see ``VisionHome``). Throws if set-up has not built it.
    public static func defaultModel(home: String? = nil) throws(ClassifierError) -> ClassifierConfiguration {
        let directory = VisionHome.directory(home: home) + "/models"
        let model = directory + "/" + defaultModelFile
        let labels = directory + "/" + defaultLabelsFile
        guard FileManager.default.isReadableFile(atPath: model) else { throw .modelNotFound(model) }
        guard FileManager.default.isReadableFile(atPath: labels) else {
            throw .labelsUnreadable(path: labels, reason: "missing; run scripts/setup.sh")
        }
        return ClassifierConfiguration(modelPath: model, labelsPath: labels, preprocessing: .efficientNetLite)
    }
}

/// How model outputs become probabilities.
public enum OutputActivation: String, Sendable, CaseIterable {
    /// Softmax unless the outputs already are probabilities (non-negative, summing to 1).
    case automatic
    /// Always softmax (the model outputs logits).
    case softmax
    /// Use the outputs as they are (the model ends in a softmax).
    case none
}
