import Foundation

/// An IoT Hub connection string: service (shared access policy), device, or module.
///
/// Formats (keys are case-sensitive, as in the Azure SDKs):
/// - service: `HostName=h;SharedAccessKeyName=iothubowner;SharedAccessKey=k`
/// - device: `HostName=h;DeviceId=d;SharedAccessKey=k[;GatewayHostName=g]`
/// - module: `HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=k[;GatewayHostName=g]`
public struct IoTHubConnectionString: Sendable, Equatable, CustomStringConvertible {
    /// The hub's host name (`myhub.azure-devices.net`, or `localhost[:port]` for the built-in hub).
    public var hostName: String
    public var deviceId: String?
    public var moduleId: String?
    /// The base64 symmetric key of the identity or policy.
    public var sharedAccessKey: String
    /// The shared access policy name (service strings only).
    public var sharedAccessKeyName: String?
    /// The host actually dialled (an IoT Edge gateway or a local hub); SAS and user names keep `hostName`.
    public var gatewayHostName: String?

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
    public var hostNameWithoutPort: String {
        if let colon = hostName.lastIndex(of: ":"), hostName[hostName.index(after: colon)...].allSatisfy(\.isNumber) {
            return String(hostName[..<colon])
        }
        return hostName
    }
}

