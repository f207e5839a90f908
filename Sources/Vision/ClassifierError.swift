/// Why a classifier could not be created or run. Every case says what to do about it.
public enum ClassifierError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No usable `libonnxruntime.so` in any searched place.
    case runtimeNotFound(tried: [String], reasons: [String])
    /// The library loaded but does not offer the C API version we need.
    case runtimeTooOld(path: String, version: String)
    /// The model file does not exist or cannot be read.
    case modelNotFound(String)
    /// The labels file does not exist, cannot be read or has no labels.
    case labelsUnreadable(path: String, reason: String)
    /// The model's inputs or outputs do not look like an image classifier's.
    case unexpectedModel(String)
    /// The number of labels differs from the number of model outputs.
    case labelCountMismatch(labels: Int, outputs: Int, labelsPath: String)
    /// The requested execution provider is not part of this ONNX Runtime build.
    case providerUnavailable(String, available: [String], detail: String)
    /// ONNX Runtime reported an error (code and message from the runtime).
    case runtime(operation: String, code: Int, message: String)
    /// The image could not be turned into a tensor.
    case invalidImage(String)

    public var description: String {
        switch self {
        case .runtimeNotFound(let tried, let reasons):
            let list = zip(tried, reasons).map { "  \($0): \($1)" }.joined(separator: "\n")
            return "ONNX Runtime (libonnxruntime.so) was not found. Run scripts/setup.sh (it installs the onnxruntime wheel and links var/runtime/libonnxruntime.so), or point EDGEFACTOR_ORT_LIBRARY at the library.\nTried:\n\(list)"
        case .runtimeTooOld(let path, let version):
            return "ONNX Runtime \(version) at \(path) is too old (C API version \(EFORTVersion.required) needed, ONNX Runtime 1.13 or later); run scripts/setup.sh to install the pinned version"
        case .modelNotFound(let path):
            return "model file \(path) not found or unreadable; pass --model PATH, or run scripts/setup.sh to build the default model"
        case .labelsUnreadable(let path, let reason):
            return "labels file \(path) is unusable: \(reason); pass --labels PATH with one class per line (or the JSON index map)"
        case .unexpectedModel(let detail):
            return "the model does not look like an image classifier: \(detail). Expected one float input [1,3,H,W] (NCHW) and one float output [1,classes]; use --input-blob/--output-blob to pick tensors"
        case .labelCountMismatch(let labels, let outputs, let path):
            return "\(path) has \(labels) labels but the model has \(outputs) outputs; use the labels file that belongs to the model"
        case .providerUnavailable(let name, let available, let detail):
            return "execution provider \(name) is not available in this ONNX Runtime build (available: \(available.joined(separator: ", "))): \(detail). Use --provider cpu, or install an ONNX Runtime build with \(name)"
        case .runtime(let operation, let code, let message):
            return "ONNX Runtime failed to \(operation) (code \(code)): \(message)"
        case .invalidImage(let detail):
            return "cannot classify the image: \(detail)"
        }
    }
}

enum EFORTVersion {
    static let required = 13
}
