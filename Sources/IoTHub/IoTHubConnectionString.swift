import Foundation

/// An IoT Hub connection string: service (shared access policy), device, or module.
///
/// Formats (keys are case-sensitive, as in the Azure SDKs):
/// - service: `HostName=h;SharedAccessKeyName=iothubowner;SharedAccessKey=k`
/// - device: `HostName=h;DeviceId=d;SharedAccessKey=k[;GatewayHostName=g]`
/// - module: `HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=k[;GatewayHostName=g]`
public struct IoTHubConnectionString: Sendable, Equatable, CustomStringConvertible {
    /// The hub's host name (`myhub.azure-devices.net`, or `localhost[:port]` for the built-in hub).
    /// A device's or module's string may end in `:port`: the MQTT port to dial instead of 8883.
    public var hostName: String
    /// The device identity (device and module strings).
    public var deviceId: String?
    /// The module identity (module strings).
    public var moduleId: String?
    /// The base64 symmetric key of the identity or policy.
    public var sharedAccessKey: String
    /// The shared access policy name (service strings only).
    public var sharedAccessKeyName: String?
    /// The host actually dialled (an IoT Edge gateway or a local hub), optionally `host:port`;
    /// SAS and user names keep `hostName`.
    public var gatewayHostName: String?

    /// Creates a connection string from its parts (not validated; ``init(_:)`` validates text).
    /// - Parameters:
    ///   - hostName: The hub's host name, optionally `host:port`.
    ///   - deviceId: The device (device and module strings).
    ///   - moduleId: The module (module strings).
    ///   - sharedAccessKey: The base64 key of the identity or policy.
    ///   - sharedAccessKeyName: The policy name (service strings).
    ///   - gatewayHostName: The host to dial instead of `hostName`, optionally `host:port`.
    public init(
        hostName: String,
        deviceId: String? = nil,
        moduleId: String? = nil,
        sharedAccessKey: String,
        sharedAccessKeyName: String? = nil,
        gatewayHostName: String? = nil
    ) {
        self.hostName = hostName
        self.deviceId = deviceId
        self.moduleId = moduleId
        self.sharedAccessKey = sharedAccessKey
        self.sharedAccessKeyName = sharedAccessKeyName
        self.gatewayHostName = gatewayHostName
    }

    /// Parses a connection string; the error names the missing or unknown part.
    public init(_ string: String) throws(IoTHubConfigurationError) {
        var fields: [String: String] = [:]
        let trimmed = string.trimmingCharacters(in: .whitespacesAndNewlines)
        for part in trimmed.split(separator: ";", omittingEmptySubsequences: true) {
            guard let equals = part.firstIndex(of: "=") else {
                throw IoTHubConfigurationError("IoT Hub connection string part \"\(part.prefix(40))\" has no '='; expected Key=Value pairs separated by ';'")
            }
            let key = String(part[..<equals]).trimmingCharacters(in: .whitespacesAndNewlines)
            let value = String(part[part.index(after: equals)...]).trimmingCharacters(in: .whitespacesAndNewlines)
            guard Self.knownKeys.contains(key) else {
                if key == "SharedAccessSignature" {
                    throw IoTHubConfigurationError("IoT Hub connection strings with a pre-made SharedAccessSignature are not supported; use one with SharedAccessKey")
                }
                throw IoTHubConfigurationError("unknown key \"\(key)\" in IoT Hub connection string; known keys (case-sensitive): \(Self.knownKeys.sorted().joined(separator: ", "))")
            }
            guard fields[key] == nil else { throw IoTHubConfigurationError("key \(key) appears twice in the IoT Hub connection string") }
            guard !value.isEmpty else { throw IoTHubConfigurationError("key \(key) has an empty value in the IoT Hub connection string") }
            fields[key] = value
        }
        guard let hostName = fields["HostName"] else {
            throw IoTHubConfigurationError("IoT Hub connection string has no HostName; copy it from the hub (or `edgefactor hub connection-string`)")
        }
        guard let key = fields["SharedAccessKey"] else {
            throw IoTHubConfigurationError("IoT Hub connection string has no SharedAccessKey; only symmetric-key authentication is supported")
        }
        guard Data(base64Encoded: key) != nil else {
            throw IoTHubConfigurationError("SharedAccessKey in the IoT Hub connection string is not valid base64")
        }
        if fields["ModuleId"] != nil, fields["DeviceId"] == nil {
            throw IoTHubConfigurationError("IoT Hub connection string has a ModuleId but no DeviceId")
        }
        if fields["DeviceId"] == nil, fields["SharedAccessKeyName"] == nil {
            throw IoTHubConfigurationError("IoT Hub connection string needs DeviceId (device/module) or SharedAccessKeyName (service)")
        }
        for key in ["HostName", "GatewayHostName"] {
            guard let value = fields[key] else { continue }
            let (host, port) = Self.splitPort(value)
            guard !host.isEmpty else {
                throw IoTHubConfigurationError("\(key) \"\(value.prefix(80))\" in the IoT Hub connection string has a port but no host")
            }
            if let port, !(1...65535).contains(port) {
                throw IoTHubConfigurationError("\(key) \"\(value.prefix(80))\" in the IoT Hub connection string has port \(port); a port is 1…65535")
            }
        }
        self.init(
            hostName: hostName,
            deviceId: fields["DeviceId"],
            moduleId: fields["ModuleId"],
            sharedAccessKey: key,
            sharedAccessKeyName: fields["SharedAccessKeyName"],
            gatewayHostName: fields["GatewayHostName"]
        )
    }

    private static let knownKeys: Set<String> = [
        "HostName", "DeviceId", "ModuleId", "SharedAccessKey", "SharedAccessKeyName", "GatewayHostName",
    ]

    /// The connection string text, secrets included: for handing to a device, not for logs.
    public var stringValue: String {
        var parts = ["HostName=\(hostName)"]
        if let deviceId { parts.append("DeviceId=\(deviceId)") }
        if let moduleId { parts.append("ModuleId=\(moduleId)") }
        if let sharedAccessKeyName { parts.append("SharedAccessKeyName=\(sharedAccessKeyName)") }
        parts.append("SharedAccessKey=\(sharedAccessKey)")
        if let gatewayHostName { parts.append("GatewayHostName=\(gatewayHostName)") }
        return parts.joined(separator: ";")
    }

    /// The connection string with the key replaced by `***` (safe for logs).
    public var description: String {
        stringValue.replacingOccurrences(of: sharedAccessKey, with: "***")
    }

    /// The SAS resource URI this string's key signs for.
    public var resourceURI: String {
        switch (deviceId, moduleId) {
        case (let device?, let module?): "\(hostName)/devices/\(device)/modules/\(module)"
        case (let device?, nil): "\(hostName)/devices/\(device)"
        default: hostName
        }
    }

    /// `HostName` without a `:port` suffix.
    public var hostNameWithoutPort: String { Self.splitPort(hostName).host }

    /// `GatewayHostName` without a `:port` suffix.
    public var gatewayHostNameWithoutPort: String? { gatewayHostName.map { Self.splitPort($0).host } }

    /// The port a device or module dials: the one in `GatewayHostName` when that names the host
    /// dialled, else the one in `HostName`; `nil` when the dialled name has none (then 8883).
    public var port: Int? {
        if let gatewayHostName { return Self.splitPort(gatewayHostName).port }
        return Self.splitPort(hostName).port
    }

    /// Splits `host:port` (the port all digits); a name without one, or an IPv6 literal in
    /// brackets without one, comes back whole.
    static func splitPort(_ name: String) -> (host: String, port: Int?) {
        guard let colon = name.lastIndex(of: ":") else { return (name, nil) }
        let digits = name[name.index(after: colon)...]
        let host = name[..<colon]
        // `::1` or `fe80::1` (unbracketed IPv6) has colons before the last one: no port there.
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigitCharacter), !host.contains(":") || host.hasSuffix("]") else {
            return (name, nil)
        }
        return (String(host), Int(digits) ?? .max)
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { ("0"..."9").contains(self) }
}

