/// Why the device agent cannot start.
enum DeviceAgentError: Error, CustomStringConvertible, Sendable {
    /// A setting is missing or inconsistent; the text says which and how to fix it.
    case configuration(String)
    /// The camera could not be opened.
    case camera(String)
    /// The classifier could not be loaded.
    case classifier(String)

    var description: String {
        switch self {
        case .configuration(let why): "agent configuration: \(why)"
        case .camera(let why): "camera: \(why)"
        case .classifier(let why): "classifier: \(why)"
        }
    }
}
