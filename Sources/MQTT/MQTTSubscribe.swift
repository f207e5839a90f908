/// A SUBSCRIBE packet: topic filters with the QoS the client asks for.
public struct MQTTSubscribe: Sendable, Equatable {
    public struct Filter: Sendable, Equatable {
        public var topicFilter: String
        public var qos: MQTTQoS
        public init(_ topicFilter: String, qos: MQTTQoS = .atLeastOnce) {
            self.topicFilter = topicFilter
            self.qos = qos
        }
    }

    public var packetId: UInt16
    public var filters: [Filter]

    public init(packetId: UInt16, filters: [Filter]) {
        self.packetId = packetId
        self.filters = filters
    }
}

/// A SUBACK packet: one return code per requested filter.
public struct MQTTSubAck: Sendable, Equatable {
    /// Granted QoS per filter, or `failure`.
    public enum ReturnCode: Sendable, Equatable {
        case granted(MQTTQoS)
        case failure

        var byte: UInt8 {
            switch self {
            case .granted(let qos): qos.rawValue
            case .failure: 0x80
            }
        }
    }

    public var packetId: UInt16
    public var returnCodes: [ReturnCode]

    public init(packetId: UInt16, returnCodes: [ReturnCode]) {
        self.packetId = packetId
        self.returnCodes = returnCodes
    }
}

/// An UNSUBSCRIBE packet.
public struct MQTTUnsubscribe: Sendable, Equatable {
    public var packetId: UInt16
    public var topicFilters: [String]

    public init(packetId: UInt16, topicFilters: [String]) {
        self.packetId = packetId
        self.topicFilters = topicFilters
    }
}
