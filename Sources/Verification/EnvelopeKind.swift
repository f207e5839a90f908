/// What an envelope carries. It is part of the signed text, so a signature made for one kind can
/// never be presented as another.
public enum EnvelopeKind: String, Codable, Sendable {
    /// A `VerificationRequest`, sealed by the front-end with the device's secret.
    case request
    /// A `QueuedRequest`, sealed by the module with the module's secret.
    case queuedRequest = "queued-request"
    /// A `VerificationResult`, sealed by the agent with the device's secret.
    case result
    /// An `AgentSettings`, sealed by the module with the module's secret.
    case agentSettings = "agent-settings"
}
