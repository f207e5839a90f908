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
    /// An `EnrolmentRequest`, sealed by the front-end with the device's secret.
    case enrolment
    /// An `EnrolmentProgress`, sealed by the agent with the device's secret.
    case enrolmentProgress = "enrolment-progress"
    /// An `EnrolmentResult`, sealed by the agent with the device's secret.
    case enrolmentResult = "enrolment-result"
    /// A `TemplateRemoval`, sealed by the front-end with the device's secret.
    case templateRemoval = "template-removal"
    /// A `VerificationProgress`, sealed by the agent with the device's secret.
    case verificationProgress = "verification-progress"
    /// A `StorageAccessRenewal`, sealed by the front-end with the device's secret.
    case storageAccess = "storage-access"
}
