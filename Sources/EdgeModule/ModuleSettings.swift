import EdgeFactorSupport
import Foundation
import Verification

/// The module's settings that the twin's desired properties can change at run time. The module
/// applies each valid one and reports every one back (applied value, or why it was refused).
public struct ModuleSettings: Sendable, Equatable {
    /// Threshold (percent) used when a `ProcessRequest` payload has no `ThresholdPercentage`.
    public var defaultThreshold: Double = 70
    /// Longest a queued request may wait; its queue message expires with it.
    public var requestLifetime: Double = 60
    /// The queue the module writes and the agent reads. Empty: the device's own
    /// (`DeviceStorageNames`), filled in by ``resolved(forDevice:)`` once the device is known.
    public var requestsQueue = ""
    /// Where the agent stores results (sent to the agent as `AgentSettings`). Empty: the device's own.
    public var responsesContainer = ""
    /// Which model the agent uses, `<models folder>/<model>.onnx` on the agent's machine (sent to
    /// the agent as `AgentSettings`).
    public var model: String = ModuleSettings.defaultModel

    /// The set-up's default model, EfficientNet-Lite0.
    public static let defaultModel = DefaultModel.name

    init() {}

    /// These settings with the empty names replaced by the device's own queue and container.
    func resolved(forDevice deviceId: String) -> ModuleSettings {
        var settings = self
        let names = DeviceStorageNames(deviceId: deviceId)
        if settings.requestsQueue.isEmpty { settings.requestsQueue = names.requestsQueue }
        if settings.responsesContainer.isEmpty { settings.responsesContainer = names.responsesContainer }
        return settings
    }

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
            if let value = desired[key] as? String, AgentSettings.isValidStorageName(value) {
                self[keyPath: keyPath] = value
                acks.append(.init(key: key, value: value, accepted: true, description: "applied"))
            } else {
                acks.append(.init(key: key, value: self[keyPath: keyPath], accepted: false, description: "must be 3–63 lowercase letters, digits and single hyphens; kept \(self[keyPath: keyPath])"))
            }
        }
        if desired["model"] != nil {
            if let value = desired["model"] as? String, AgentSettings.isValidModelName(value) {
                model = value
                acks.append(.init(key: "model", value: value, accepted: true, description: "applied"))
            } else {
                acks.append(.init(key: "model", value: model, accepted: false, description: "must be 1–100 letters, digits, '-', '_' or '.', not starting with '.'; kept \(model)"))
            }
        }
        return acks
    }

    /// Whether the settings the agent follows (queue, container, model) are the same in both.
    func sameAgentSettings(as other: ModuleSettings) -> Bool {
        requestsQueue == other.requestsQueue && responsesContainer == other.responsesContainer && model == other.model
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
