/// MQTT topic rules: validation of names and filters, and filter matching.
public enum MQTTTopic {
    /// A topic name (what PUBLISH carries): non-empty, no wildcards.
    public static func validateName(_ topic: String) throws(MQTTProtocolError) {
        guard !topic.isEmpty, !topic.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }) else {
            throw .invalidTopic(topic)
        }
    }

    /// A topic filter (what SUBSCRIBE carries): non-empty; `+` fills a whole level; `#` only as the
    /// whole last level.
    public static func validateFilter(_ filter: String) throws(MQTTProtocolError) {
        guard !filter.isEmpty else { throw .invalidTopic(filter) }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        for (index, level) in levels.enumerated() {
            if level.contains("#") {
                guard level == "#", index == levels.count - 1 else { throw .invalidTopic(filter) }
            }
            if level.contains("+"), level != "+" { throw .invalidTopic(filter) }
        }
    }

    /// Whether `topic` matches `filter` (MQTT 3.1.1 section 4.7; `$` topics never match a leading wildcard).
    public static func matches(filter: String, topic: String) -> Bool {
        var filterLevels = filter.split(separator: "/", omittingEmptySubsequences: false)[...]
        var topicLevels = topic.split(separator: "/", omittingEmptySubsequences: false)[...]
        if topic.hasPrefix("$"), filter.first == "+" || filter.first == "#" { return false }
        while let level = filterLevels.popFirst() {
            if level == "#" { return true }
            guard let topicLevel = topicLevels.popFirst() else { return false }
            if level != "+", level != topicLevel { return false }
        }
        return topicLevels.isEmpty
    }
}
