import Foundation
import Verification
import Vision

/// Finds and loads a model by name from the models folder, the layout set-up makes:
///
///     <models>/<model>.onnx           the model
///     <models>/<model>.labels.txt     its labels (or <model>.labels.json); when neither exists,
///     <models>/labels.txt             the set-up's ImageNet labels, shared by ImageNet models
struct ModelLoader: Sendable {
    let directory: URL

    /// The model and labels files for `name`.
    func files(for name: String) throws(DeviceAgentError) -> (model: String, labels: String) {
        guard AgentSettings.isValidModelName(name) else {
            throw .classifier("invalid model name '\(name.prefix(100))': use letters, digits, '-', '_' or '.'")
        }
        let model = directory.appendingPathComponent(name + ".onnx").path
        guard FileManager.default.isReadableFile(atPath: model) else {
            throw .classifier("no model \(model): copy \(name).onnx (and \(name).labels.txt) into the agent's models folder (--models-dir)")
        }
        let candidates = [name + ".labels.txt", name + ".labels.json", ClassifierConfiguration.defaultLabelsFile]
        for candidate in candidates {
            let path = directory.appendingPathComponent(candidate).path
            if FileManager.default.isReadableFile(atPath: path) { return (model, path) }
        }
        throw .classifier("no labels for model \(name) in \(directory.path): add \(name).labels.txt (one label per line)")
    }

    /// Loads `name` (slow: call it off the agent's actor). Pre-processing comes from the model's
    /// metadata, as set-up's converter writes it, else the classifier's default.
    func load(_ name: String) throws(DeviceAgentError) -> ImageClassifier {
        let (model, labels) = try files(for: name)
        do {
            return try ImageClassifier(configuration: ClassifierConfiguration(modelPath: model, labelsPath: labels))
        } catch {
            throw .classifier("cannot load \(model): \(error)")
        }
    }
}
