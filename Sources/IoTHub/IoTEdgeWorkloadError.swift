/// The IoT Edge workload API could not be reached or gave an answer this client cannot use.
public struct IoTEdgeWorkloadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What failed, with how to fix it.
    public var message: String

    /// Creates an error with its message.
    /// - Parameter message: What failed, with how to fix it.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
