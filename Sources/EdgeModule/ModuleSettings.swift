import Foundation
import Verification

/// The module's settings that the twin's desired properties can change at run time. The module
/// applies each valid one and reports every one back (applied value, or why it was refused).
public struct ModuleSettings: Sendable, Equatable {
    /// Threshold (percent) used when a `ProcessRequest` payload has no `ThresholdPercentage`.
    public var defaultThreshold: Double = 70
    /// Longest a queued request may wait; its queue message expires with it.
    public var requestLifetime: Double = 60
    /// The queue the module writes and the agent reads.
    public var requestsQueue: String = ResultLocation.defaultRequestsQueue
    /// Where the agent stores results (reported for the operator; the agent has its own setting).
    public var responsesContainer: String = ResultLocation.defaultResponsesContainer
    /// Which model the agent uses (reported for the operator; the agent has its own setting).
    public var model: String = "efficientnet-lite0"

    public init() {}

    /// One desired property's fate, reported with IoT Plug and Play's writable-property
    /// acknowledgement shape: `{"value": …, "ac": 200|400, "av": version, "ad": "…"}`.
    struct Acknowledgement: Sendable {
        var key: String
        var value: any Sendable
        var accepted: Bool
        var description: String
    }

    /// Applies the known keys of a desired-properties document or patch; unknown keys (and `$…`
    /// metadata) are ignored. Returns one acknowledgement per known key present.
    mutating func apply(desired: [String: Any]) -> [Acknowledgement] {
        var acks: [Acknowledgement] = []
        func number(_ key: String) -> Double? {
            (desired[key] as? NSNumber).map(\.doubleValue) ?? (desired[key] as? String).flatMap(Double.init)
        }
        if desired["defaultThreshold"] != nil {
            if let value = number("defaultThreshold"), value.isFinite, (1...100).contains(value) {
                defaultThreshold = value
                acks.append(.init(key: "defaultThreshold", value: value, accepted: true, description: "applied"))
            } else {
                acks.append(.init(key: "defaultThreshold", value: defaultThreshold, accepted: false, description: "must be a number from 1 to 100; kept \(defaultThreshold)"))
            }
        }
        if desired["requestLifetimeSeconds"] != nil {
            if let value = number("requestLifetimeSeconds"), value.isFinite, (1...VerificationRequest.maximumLifetime).contains(value) {
                requestLifetime = value
                acks.append(.init(key: "requestLifetimeSeconds", value: value, accepted: true, description: "applied"))
            } else {
                acks.append(.init(key: "requestLifetimeSeconds", value: requestLifetime, accepted: false, description: "must be 1 to \(Int(VerificationRequest.maximumLifetime)) seconds; kept \(requestLifetime)"))
            }
        }
        for (key, keyPath) in [("requestsQueue", \ModuleSettings.requestsQueue), ("responsesContainer", \ModuleSettings.responsesContainer)] {
            guard desired[key] != nil else { continue }
            let isQueue = key == "requestsQueue"
            if let value = desired[key] as? String, Self.isValidStorageName(value, queue: isQueue) {
                self[keyPath: keyPath] = value
                acks.append(.init(key: key, value: value, accepted: true, description: "applied"))
            } else {
                acks.append(.init(key: key, value: self[keyPath: keyPath], accepted: false, description: "must be 3–63 lowercase letters, digits and single hyphens; kept \(self[keyPath: keyPath])"))
            }
        }
        if desired["model"] != nil {
            if let value = desired["model"] as? String, (1...100).contains(value.count),
               value.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0) }) {
                model = value
                acks.append(.init(key: "model", value: value, accepted: true, description: "applied"))
            } else {
                acks.append(.init(key: "model", value: model, accepted: false, description: "must be 1–100 letters, digits, '-', '_' or '.'; kept \(model)"))
            }
        }
        return acks
    }

    /// Azure's naming rules for queues and containers.
    static func isValidStorageName(_ name: String, queue: Bool) -> Bool {
        guard (3...63).contains(name.count), !name.hasPrefix("-"), !name.hasSuffix("-"), !name.contains("--") else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// The reported-properties patch for a set of acknowledgements at desired version `version`.
    static func reportedPatch(_ acks: [Acknowledgement], version: Int?) -> Data {
        var patch: [String: Any] = [:]
        for ack in acks {
            var entry: [String: Any] = ["value": ack.value, "ac": ack.accepted ? 200 : 400, "ad": ack.description]
            if let version { entry["av"] = version }
            patch[ack.key] = entry
        }
        return (try? JSONSerialization.data(withJSONObject: patch, options: [.sortedKeys])) ?? Data("{}".utf8)
    }

    /// The full settings as a reported-properties patch (sent once after connecting).
    var reportedSnapshot: Data {
        let patch: [String: Any] = [
            "settings": [
                "defaultThreshold": defaultThreshold,
                "requestLifetimeSeconds": requestLifetime,
                "requestsQueue": requestsQueue,
                "responsesContainer": responsesContainer,
                "model": model,
            ]
        ]
        return (try? JSONSerialization.data(withJSONObject: patch, options: [.sortedKeys])) ?? Data("{}".utf8)
    }
}
