/// Symmetric keys of a device or module (base64).
public struct SymmetricKeyPair: Sendable, Equatable, Codable {
    public var primaryKey: String?
    public var secondaryKey: String?

    public init(primaryKey: String?, secondaryKey: String?) {
        self.primaryKey = primaryKey
        self.secondaryKey = secondaryKey
    }
}

/// How an identity authenticates (only `sas` with symmetric keys is supported here).
public struct AuthenticationMechanism: Sendable, Equatable, Codable {
    public var type: String
    public var symmetricKey: SymmetricKeyPair?

    public init(type: String = "sas", symmetricKey: SymmetricKeyPair?) {
        self.type = type
        self.symmetricKey = symmetricKey
    }
}

/// A device in the identity registry (the service API's `Device` object, subset).
public struct DeviceIdentity: Sendable, Equatable, Codable {
    public var deviceId: String
    public var generationId: String?
    public var etag: String?
    /// `enabled` or `disabled`.
    public var status: String?
    /// `Connected` or `Disconnected`.
    public var connectionState: String?
    public var lastActivityTime: String?
    public var authentication: AuthenticationMechanism?

    public init(deviceId: String, status: String? = "enabled", authentication: AuthenticationMechanism? = nil) {
        self.deviceId = deviceId
        self.status = status
        self.authentication = authentication
    }
}

/// A module of a device in the identity registry.
public struct ModuleIdentity: Sendable, Equatable, Codable {
    public var moduleId: String
    public var deviceId: String
    public var generationId: String?
    public var etag: String?
    public var connectionState: String?
    public var lastActivityTime: String?
    public var managedBy: String?
    public var authentication: AuthenticationMechanism?

    public init(moduleId: String, deviceId: String, authentication: AuthenticationMechanism? = nil) {
        self.moduleId = moduleId
        self.deviceId = deviceId
        self.authentication = authentication
    }
}

/// A device or module twin as the service API returns it.
public struct Twin: Sendable, Equatable, Codable {
    public struct Properties: Sendable, Equatable, Codable {
        /// Desired properties, `$version` included.
        public var desired: [String: JSONValue]
        /// Reported properties, `$version` included.
        public var reported: [String: JSONValue]

        public init(desired: [String: JSONValue] = [:], reported: [String: JSONValue] = [:]) {
            self.desired = desired
            self.reported = reported
        }
    }

    public var deviceId: String
    public var moduleId: String?
    public var etag: String?
    public var version: Int?
    public var status: String?
    public var connectionState: String?
    public var tags: [String: JSONValue]?
    public var properties: Properties?

    public init(deviceId: String, moduleId: String? = nil, tags: [String: JSONValue]? = nil, properties: Properties? = nil) {
        self.deviceId = deviceId
        self.moduleId = moduleId
        self.tags = tags
        self.properties = properties
    }

    /// `properties.desired.$version` (0 when absent).
    public var desiredVersion: Int {
        if case .int(let version)? = properties?.desired["$version"] { return Int(version) }
        return 0
    }

    /// `properties.reported.$version` (0 when absent).
    public var reportedVersion: Int {
        if case .int(let version)? = properties?.reported["$version"] { return Int(version) }
        return 0
    }
}
