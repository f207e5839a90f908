import EdgeFactorSupport
/// IoT Hub MQTT topic names, shared by the clients and the built-in hub.
public enum IoTHubTopic {
    public static let methodsSubscription = "$iothub/methods/POST/#"
    public static let twinResponseSubscription = "$iothub/twin/res/#"
    public static let desiredPatchSubscription = "$iothub/twin/PATCH/properties/desired/#"
    public static let twinGet = "$iothub/twin/GET/"
    public static let reportedPatch = "$iothub/twin/PATCH/properties/reported/"

    /// `devices/{d}/messages/events/` or `devices/{d}/modules/{m}/messages/events/`.
    public static func telemetryPrefix(deviceId: String, moduleId: String?) -> String {
        if let moduleId { return "devices/\(deviceId)/modules/\(moduleId)/messages/events/" }
        return "devices/\(deviceId)/messages/events/"
    }

    /// The full telemetry topic: prefix plus the property bag (system properties first, then
    /// application properties sorted by key), every key and value percent-encoded.
    public static func telemetry(deviceId: String, moduleId: String?, message: TelemetryMessage) -> String {
        let pairs = message.systemProperties + message.properties.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
        return telemetryPrefix(deviceId: deviceId, moduleId: moduleId) + encodePropertyBag(pairs)
    }

    /// `k1=v1&k2=v2` with RFC 3986 percent-encoding of keys and values.
    public static func encodePropertyBag(_ pairs: [(key: String, value: String)]) -> String {
        pairs.map { "\(PercentEncoding.encode($0.key))=\(PercentEncoding.encode($0.value))" }.joined(separator: "&")
    }

    /// Decodes a property bag; a key without `=` maps to `nil`. Returns `nil` on broken encoding.
    public static func decodePropertyBag(_ bag: Substring) -> [(key: String, value: String?)]? {
        var result: [(key: String, value: String?)] = []
        for pair in bag.split(separator: "&") {
            if let equals = pair.firstIndex(of: "=") {
                guard let key = PercentEncoding.decode(String(pair[..<equals])),
                      let value = PercentEncoding.decode(String(pair[pair.index(after: equals)...]))
                else { return nil }
                result.append((key, value))
            } else {
                guard let key = PercentEncoding.decode(String(pair)) else { return nil }
                result.append((key, nil))
            }
        }
        return result
    }

    /// Query pairs after `?` in `$iothub/...` topics, keys without a leading `$`.
    public static func query(of topic: String) -> [String: String] {
        // On the UTF-8 bytes: `?`, `&` and `=` are ASCII, so every cut falls between characters,
        // and every method request and twin answer passes here (Character splitting showed in
        // the direct-method profile).
        let bytes = topic.utf8
        guard let question = bytes.firstIndex(of: UInt8(ascii: "?")) else { return [:] }
        var result: [String: String] = [:]
        for pair in bytes[bytes.index(after: question)...].split(separator: UInt8(ascii: "&")) {
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { continue }
            var key = Substring(pair[..<equals])
            if key.hasPrefix("$") { key.removeFirst() }
            result[String(key)] = PercentEncoding.decode(Substring(pair[pair.index(after: equals)...])) ?? ""
        }
        return result
    }

    public static func methodRequest(name: String, requestId: String) -> String {
        "$iothub/methods/POST/\(PercentEncoding.encode(name))/?$rid=\(PercentEncoding.encode(requestId))"
    }

    public static func methodResponse(status: Int, requestId: String) -> String {
        "$iothub/methods/res/\(status)/?$rid=\(PercentEncoding.encode(requestId))"
    }

    public static func twinResponse(status: Int, requestId: String, version: Int? = nil) -> String {
        var topic = "$iothub/twin/res/\(status)/?$rid=\(PercentEncoding.encode(requestId))"
        if let version { topic += "&$version=\(version)" }
        return topic
    }

    public static func desiredPatch(version: Int) -> String {
        "$iothub/twin/PATCH/properties/desired/?$version=\(version)"
    }
}
