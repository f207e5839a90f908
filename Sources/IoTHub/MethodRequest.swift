public import Foundation

/// A direct-method call received by a device or module.
public struct MethodRequest: Sendable {
    /// The method name, e.g. `ProcessRequest`.
    public var name: String
    /// The raw JSON payload the caller sent (`null` when it sent none).
    public var payload: Data
    /// The hub's request id (`$rid`), echoed in the response.
    public var requestId: String

    public init(name: String, payload: Data, requestId: String) {
        self.name = name
        self.payload = payload
        self.requestId = requestId
    }

    /// Decodes the payload as `T`.
    public func decodePayload<T: Decodable>(as type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: payload)
    }
}
