/// Why a personal-object template could not be read, used or built. Each case says what to do.
public enum TemplateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes are not a template of this format: truncated, altered or another kind of file.
    case malformed(String)
    /// A template written by a newer EdgeFactor.
    case unsupportedVersion(Int)
    /// The template was made with another model (or another output or pre-processing).
    case modelMismatch(template: String, model: String)
    /// Enrolment produced too few usable views.
    case refused(EnrolmentRefusal)

    public var description: String {
        switch self {
        case .malformed(let why):
            "not a usable template file: \(why); enrol the object again (`edgefactor enrol`)"
        case .unsupportedVersion(let version):
            "template format version \(version) is newer than this build understands: upgrade EdgeFactor or enrol again"
        case .modelMismatch(let template, let model):
            "the template was made with model \(template), but the model in use is \(model): embeddings of different models cannot be compared; enrol the object again with this model, or use the template's model"
        case .refused(let refusal):
            refusal.description
        }
    }
}

/// Why an enrolment was not usable, in words for the person at the camera.
public struct EnrolmentRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable, Codable {
        /// The source gave no frames at all.
        case noFrames = "no-frames"
        /// Every frame was blurred, dark or uniform.
        case blurry
        /// The frames show only the empty scene.
        case emptyScene = "empty-scene"
        /// Too few views different enough from each other.
        case tooFewViews = "too-few-views"
    }

    public var reason: Reason
    public var description: String

    public init(_ reason: Reason, _ description: String) {
        self.reason = reason
        self.description = description
    }
}
