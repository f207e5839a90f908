/// Why the edge module cannot start.
public enum EdgeModuleError: Error, CustomStringConvertible, Sendable {
    /// A setting is missing or inconsistent; the text says which and how to fix it.
    case configuration(String)

    public var description: String {
        switch self {
        case .configuration(let why): "module configuration: \(why)"
        }
    }
}
