import Foundation

/// One class and its probability.
public struct Classification: Sendable, Equatable, CustomStringConvertible {
    public var classIndex: Int
    public var label: String
    /// Probability in 0...1 (after softmax when the model outputs logits).
    public var confidence: Float

    public init(classIndex: Int, label: String, confidence: Float) {
        self.classIndex = classIndex
        self.label = label
        self.confidence = confidence
    }

    public var description: String {
        "\(Self.percent(confidence)) \(label) (class \(classIndex))"
    }

    /// `0.9512` -> `95.12%`.
    public static func percent(_ value: Float, digits: Int = 2) -> String {
        let digits = min(max(digits, 0), 6)
        var unit = 1
        for _ in 0..<digits { unit *= 10 }
        let clamped = value.isFinite ? min(max(Double(value), 0), 1) : 0
        let scaled = Int((clamped * 100 * Double(unit)).rounded())
        guard digits > 0 else { return "\(scaled)%" }
        let fraction = String(scaled % unit)
        return "\(scaled / unit).\(String(repeating: "0", count: digits - fraction.count))\(fraction)%"
    }
}

/// Time spent in each stage of classifying one frame.
public struct StageTimings: Sendable, Equatable {
    public var preprocess: Duration = .zero
    public var inference: Duration = .zero
    public var postprocess: Duration = .zero

    public init(preprocess: Duration = .zero, inference: Duration = .zero, postprocess: Duration = .zero) {
        self.preprocess = preprocess
        self.inference = inference
        self.postprocess = postprocess
    }

    public var total: Duration { preprocess + inference + postprocess }
}

/// Everything `classify` produces for one image.
public struct ClassificationResult: Sendable {
    /// The best classes, highest first.
    public var top: [Classification]
    /// Probabilities for every class, in output order.
    public var probabilities: [Float]
    public var timings: StageTimings
}
