public import Foundation

/// The answer to a direct method: a status code (HTTP-like, chosen by the handler) and a JSON body.
public struct MethodResponse: Sendable, Equatable {
    public var status: Int
    /// Raw JSON (any JSON value; `null` for none).
    public var payload: Data

    public init(status: Int, payload: Data) {
        self.status = status
        self.payload = payload
    }

    /// A response whose payload is `body` encoded as JSON (`null` if it cannot be encoded).
    public static func json<T: Encodable>(_ status: Int, _ body: T) -> MethodResponse {
        let data = (try? JSONEncoder().encode(body)) ?? Data("null".utf8)
        return MethodResponse(status: status, payload: data)
    }

    /// Decodes the payload as `T`.
    public func decodePayload<T: Decodable>(as type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: payload)
    }
}
