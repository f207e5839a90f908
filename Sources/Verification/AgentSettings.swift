import EdgeFactorSupport
public import Foundation

/// The settings the edge module tells the device agent to use, sealed with the per-module secret
/// (`EnvelopeKind.agentSettings`) and put on the requests queue the agent reads.
///
/// Settings carry no expiry: a message may wait on the queue for days while the agent is off, and
/// is still the module's latest word when it is read. What protects the agent from a replayed or
/// late copy is ``revision``: the agent applies a message only if its revision is higher than the
/// one it applied last, so an older message can never roll the settings back.
public struct AgentSettings: Codable, Sendable, Hashable {
    /// The device whose agent the settings are for (nil from modules older than this field). On a
    /// queue several devices read, an agent leaves other devices' settings on the queue.
    public var deviceId: String?
    /// The queue the agent takes requests from.
    public var requestsQueue: String
    /// The container the agent stores results in.
    public var responsesContainer: String
    /// The model the agent classifies with: `<models folder>/<model>.onnx`.
    public var model: String
    /// The module twin's desired-properties `$version` these settings were applied at. IoT Hub
    /// increases it with every change of the desired properties, so it orders the module's
    /// settings without the module keeping any state of its own.
    public var revision: Int
    public var issuedAt: Date
    public var nonce: String

    public init(deviceId: String? = nil, requestsQueue: String, responsesContainer: String, model: String, revision: Int, issuedAt: Date, nonce: String) {
        self.deviceId = deviceId
        self.requestsQueue = requestsQueue
        self.responsesContainer = responsesContainer
        self.model = model
        self.revision = revision
        self.issuedAt = issuedAt
        self.nonce = nonce
    }

    /// New settings with a fresh nonce, validated.
    public static func make(
        deviceId: String? = nil, requestsQueue: String, responsesContainer: String, model: String, revision: Int, now: Date = Date()
    ) throws(VerificationError) -> AgentSettings {
        let settings = AgentSettings(
            deviceId: deviceId, requestsQueue: requestsQueue, responsesContainer: responsesContainer, model: model, revision: revision,
            issuedAt: now, nonce: Base64URL.random(byteCount: 16))
        try settings.validate(now: now)
        return settings
    }

    /// Checks every field. Freshness is not required (see the type's description), but a message
    /// claiming to be issued in the future beyond the clock skew is refused.
    public func validate(now: Date = Date()) throws(VerificationError) {
        if let deviceId { try FieldRules.identityId(deviceId, name: "deviceId") }
        try FieldRules.storageName(requestsQueue, name: "requestsQueue")
        try FieldRules.storageName(responsesContainer, name: "responsesContainer")
        try FieldRules.modelName(model)
        try FieldRules.nonce(nonce)
        guard revision >= 0 else { throw .invalidField(name: "revision", reason: "must not be negative") }
        guard issuedAt.timeIntervalSince(now) <= VerificationRequest.allowedClockSkew else { throw .notYetValid(at: issuedAt) }
    }

    /// Whether these settings supersede `applied` (nil: nothing applied yet).
    public func supersedes(_ applied: AgentSettings?) -> Bool {
        guard let applied else { return true }
        return revision > applied.revision
    }

    /// Whether `name` is a valid queue or container name (Azure's naming rules).
    public static func isValidStorageName(_ name: String) -> Bool {
        (try? FieldRules.storageName(name, name: "name")) != nil
    }

    /// Whether `name` is a valid model name.
    public static func isValidModelName(_ name: String) -> Bool {
        (try? FieldRules.modelName(name)) != nil
    }
}
