/// The classifier every part uses unless told otherwise: set-up converts it (and its int8
/// quantization) into the models folder; the module's settings and the agent name it by this.
package enum DefaultModel {
    /// EfficientNet-Lite0, fp32: the models folder holds `efficientnet-lite0.onnx`.
    package static let name = "efficientnet-lite0"
    /// Its static int8 quantization, `efficientnet-lite0-int8.onnx`.
    package static let int8Name = name + "-int8"
}
