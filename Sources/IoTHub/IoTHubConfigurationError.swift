/// A connection string, SAS token or client option that cannot be used, with how to fix it.
public struct IoTHubConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
