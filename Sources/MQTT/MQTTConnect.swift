

/// A CONNECT packet: who the client is and how its session behaves.
public struct MQTTConnect: Sendable, Equatable {
    /// The client identifier (IoT Hub: `deviceId` or `deviceId/moduleId`).
    public var clientId: String
    /// Seconds of silence after which the server may drop the client (0 turns keep-alive off).
    public var keepAliveSeconds: UInt16
    /// `true` discards any previous session state; IoT Hub SDKs send `false`.
    public var cleanSession: Bool
    public var username: String?
    /// The password bytes (IoT Hub: a SAS token as UTF-8).
    public var password: [UInt8]?
    public var will: MQTTWill?

    public init(
        clientId: String,
        keepAliveSeconds: UInt16 = 60,
        cleanSession: Bool = false,
        username: String? = nil,
        password: [UInt8]? = nil,
        will: MQTTWill? = nil
    ) {
        self.clientId = clientId
        self.keepAliveSeconds = keepAliveSeconds
        self.cleanSession = cleanSession
        self.username = username
        self.password = password
        self.will = will
    }
}

/// The message a server publishes when a client vanishes without DISCONNECT.
public struct MQTTWill: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: MQTTQoS
    public var retain: Bool

    public init(topic: String, payload: [UInt8], qos: MQTTQoS = .atMostOnce, retain: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}

/// A CONNACK packet: the server's answer to CONNECT.
public struct MQTTConnAck: Sendable, Equatable {
    /// Whether the server resumed a stored session (its subscriptions) for this client id.
    public var sessionPresent: Bool
    public var returnCode: MQTTConnectReturnCode

    public init(sessionPresent: Bool = false, returnCode: MQTTConnectReturnCode) {
        self.sessionPresent = sessionPresent
        self.returnCode = returnCode
    }
}

/// CONNACK return codes of MQTT 3.1.1 (section 3.2.2.3).
public enum MQTTConnectReturnCode: UInt8, Sendable, Equatable, CustomStringConvertible {
    case accepted = 0
    case unacceptableProtocolVersion = 1
    case identifierRejected = 2
    case serverUnavailable = 3
    case badUsernameOrPassword = 4
    case notAuthorized = 5

    public var description: String {
        switch self {
        case .accepted: "accepted"
        case .unacceptableProtocolVersion: "unacceptable protocol version"
        case .identifierRejected: "client identifier rejected"
        case .serverUnavailable: "server unavailable"
        case .badUsernameOrPassword: "bad user name or password"
        case .notAuthorized: "not authorized"
        }
    }
}
