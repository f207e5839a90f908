/// What went wrong in a device or module client, and what to do about it.
public enum IoTHubClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The hub refused the CONNECT (bad key, unknown or disabled identity, ...).
    case connectionRefused(code: UInt8, reason: String)
    /// TCP/TLS connection could not be established.
    case connectionFailed(String)
    /// The connection dropped before the operation completed.
    case connectionLost
    /// The client was closed (or never connected).
    case notConnected
    /// No answer in time.
    case timedOut(operation: String)
    /// The hub refused a twin operation with this status.
    case twinRequestFailed(status: Int, body: String)
    /// The hub sent something this client cannot interpret.
    case malformedResponse(String)
    /// A subscription was refused by the hub.
    case subscriptionRefused(String)
    /// The message is larger than IoT Hub accepts.
    case messageTooLarge(size: Int, limit: Int)

    public var description: String {
        switch self {
        case .connectionRefused(let code, let reason):
            "IoT Hub refused the connection (CONNACK \(code): \(reason)); check the connection string's key and that the identity is registered and enabled"
        case .connectionFailed(let detail):
            "cannot reach the IoT hub: \(detail); check the host name, port, trust roots (CA) and that the hub is running"
        case .connectionLost:
            "the connection to the IoT hub dropped before the operation completed; it reconnects automatically, retry the operation"
        case .notConnected:
            "the IoT Hub client is not connected; call connect() first"
        case .timedOut(let operation):
            "no answer from the IoT hub in time for \(operation)"
        case .twinRequestFailed(let status, let body):
            "twin request failed with status \(status): \(body.prefix(200))"
        case .malformedResponse(let detail):
            "unexpected answer from the IoT hub: \(detail)"
        case .subscriptionRefused(let filter):
            "the IoT hub refused the subscription to \(filter)"
        case .messageTooLarge(let size, let limit):
            "message of \(size) bytes exceeds IoT Hub's limit of \(limit) bytes; send smaller messages"
        }
    }
}
