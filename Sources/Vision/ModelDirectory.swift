import EdgeFactorSupport
import Foundation

/// A folder of models in the layout set-up makes, where a model is chosen by name:
///
///     <models>/<name>.onnx           the model
///     <models>/<name>.labels.txt     its labels (or <name>.labels.json); when neither exists,
///     <models>/labels.txt            the set-up's ImageNet labels, shared by ImageNet models
///
/// Set-up's models are `efficientnet-lite0` (fp32) and `efficientnet-lite0-int8` (its static int8
/// quantization); `--model NAME`, the agent's models folder and the module twin's `model` all
/// resolve names this way.
public struct ModelDirectory: Sendable, Equatable {
    /// The folder.
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// `<home>/models` (home: see ``VisionHome``).
    public static func standard(home: String? = nil) -> ModelDirectory {
        ModelDirectory(path: VisionHome.directory(home: home) + "/models")
    }

    /// Name of set-up's fp32 EfficientNet-Lite0 (ImageNet-1k).
    public static let efficientNetLite0 = DefaultModel.name
    /// Name of set-up's static int8 quantization of it (see docs/benchmarks.md, "int8").
    public static let efficientNetLite0Int8 = DefaultModel.int8Name

    /// Whether a `--model` value is a model name to look up in a models folder (no `/` and no
    /// `.onnx` extension, such as `efficientnet-lite0-int8`) rather than the path of a file.
    public static func isModelName(_ argument: String) -> Bool {
        !argument.isEmpty && !argument.contains("/") && !argument.lowercased().hasSuffix(".onnx")
    }

    /// The model and labels files for `name`; throws when the model is missing or has no labels.
    public func files(for name: String) throws(ClassifierError) -> (model: String, labels: String) {
        let model = path + "/" + name + ".onnx"
        guard FileManager.default.isReadableFile(atPath: model) else {
            throw .modelNotFound(model)
        }
        for candidate in [name + ".labels.txt", name + ".labels.json", ClassifierConfiguration.defaultLabelsFile] {
            let labels = path + "/" + candidate
            if FileManager.default.isReadableFile(atPath: labels) { return (model, labels) }
        }
        throw .labelsUnreadable(path: path + "/" + name + ".labels.txt", reason: "missing (nor is there a shared \(ClassifierConfiguration.defaultLabelsFile) in \(path))")
    }

    /// The configuration of model `name`: its files, and pre-processing from the model's metadata
    /// (as set-up's converter writes it), else the classifier's default.
    public func configuration(for name: String) throws(ClassifierError) -> ClassifierConfiguration {
        let (model, labels) = try files(for: name)
        return ClassifierConfiguration(modelPath: model, labelsPath: labels)
    }
}
