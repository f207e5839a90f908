import EdgeFactorSupport
import Foundation
import IoTHub
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
        var value: JSONValue
        var accepted: Bool
        var description: String
    }

    /// Applies the known keys of a desired-properties document or patch; unknown keys (and `$…`
    /// metadata) are ignored. Returns one acknowledgement per known key present.
    mutating func apply(desired: [String: JSONValue]) -> [Acknowledgement] {
        var acks: [Acknowledgement] = []
        func number(_ key: String) -> Double? {
            desired[key]?.numberValue ?? desired[key]?.stringValue.flatMap(Double.init)
        }
        if desired["defaultThreshold"] != nil {
            if let value = number("defaultThreshold"), value.isFinite, (1...100).contains(value) {
                defaultThreshold = value
                acks.append(.init(key: "defaultThreshold", value: .double(value), accepted: true, description: "applied"))
            } else {
                acks.append(.init(key: "defaultThreshold", value: .double(defaultThreshold), accepted: false, description: "must be a number from 1 to 100; kept \(defaultThreshold)"))
            }
        }
        if desired["requestLifetimeSeconds"] != nil {
            if let value = number("requestLifetimeSeconds"), value.isFinite, (1...VerificationRequest.maximumLifetime).contains(value) {
                requestLifetime = value
                acks.append(.init(key: "requestLifetimeSeconds", value: .double(value), accepted: true, description: "applied"))
            } else {
                acks.append(.init(key: "requestLifetimeSeconds", value: .double(requestLifetime), accepted: false, description: "must be 1 to \(Int(VerificationRequest.maximumLifetime)) seconds; kept \(requestLifetime)"))
            }
        }
        for (key, keyPath) in [("requestsQueue", \ModuleSettings.requestsQueue), ("responsesContainer", \ModuleSettings.responsesContainer)] {
            guard desired[key] != nil else { continue }
            if let value = desired[key]?.stringValue, AgentSettings.isValidStorageName(value) {
                self[keyPath: keyPath] = value
                acks.append(.init(key: key, value: .string(value), accepted: true, description: "applied"))
            } else {
                acks.append(.init(key: key, value: .string(self[keyPath: keyPath]), accepted: false, description: "must be 3–63 lowercase letters, digits and single hyphens; kept \(self[keyPath: keyPath])"))
            }
        }
        if desired["model"] != nil {
            if let value = desired["model"]?.stringValue, AgentSettings.isValidModelName(value) {
                model = value
                acks.append(.init(key: "model", value: .string(value), accepted: true, description: "applied"))
            } else {
                acks.append(.init(key: "model", value: .string(model), accepted: false, description: "must be 1–100 letters, digits, '-', '_' or '.', not starting with '.'; kept \(model)"))
            }
        }
        return acks
    }

    /// Whether the settings the agent follows (queue, container, model) are the same in both.
    func sameAgentSettings(as other: ModuleSettings) -> Bool {
        requestsQueue == other.requestsQueue && responsesContainer == other.responsesContainer && model == other.model
    }

    /// The reported-properties patch for a set of acknowledgements at desired version `version`.
    static func reportedPatch(_ acks: [Acknowledgement], version: Int?) -> [String: JSONValue] {
        var patch: [String: JSONValue] = [:]
        for ack in acks {
            var entry: [String: JSONValue] = ["value": ack.value, "ac": .int(ack.accepted ? 200 : 400), "ad": .string(ack.description)]
            if let version { entry["av"] = .int(Int64(version)) }
            patch[ack.key] = .object(entry)
        }
        return patch
    }

    /// The full settings as a reported-properties patch (sent once after connecting).
    var reportedSnapshot: [String: JSONValue] {
        [
            "settings": .object([
                "defaultThreshold": .double(defaultThreshold),
                "requestLifetimeSeconds": .double(requestLifetime),
                "requestsQueue": .string(requestsQueue),
                "responsesContainer": .string(responsesContainer),
                "model": .string(model),
            ])
        ]
    }
}
