import Foundation
import Verification
import Vision

/// Finds and loads a model by name from the agent's models folder (the layout of
/// ``ModelDirectory``: `<model>.onnx`, with `<model>.labels.txt` or the shared `labels.txt`).
struct ModelLoader: Sendable {
    let directory: URL

    /// The model and labels files for `name`.
    func files(for name: String) throws(DeviceAgentError) -> (model: String, labels: String) {
        guard AgentSettings.isValidModelName(name) else {
            throw .classifier("invalid model name '\(name.prefix(100))': use letters, digits, '-', '_' or '.'")
        }
        do {
            return try ModelDirectory(path: directory.path).files(for: name)
        } catch .modelNotFound(let model) {
            throw .classifier("no model \(model): copy \(name).onnx (and \(name).labels.txt) into the agent's models folder (--models-dir)")
        } catch {
            throw .classifier("no labels for model \(name) in \(directory.path): add \(name).labels.txt (one label per line)")
        }
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
