/// A storage connection string or client setting that cannot be used, with what is wrong and how
/// to fix it. Never contains the account key.
public struct StorageConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong and how to fix it, in one sentence or two.
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "invalid storage configuration: \(message)" }
}
