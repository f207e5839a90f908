/// Where one second-factor verification stands, from the user's point of view.
enum VerificationPhase: String, Codable, Sendable, CaseIterable {
    /// `ProcessRequest` is on its way to the device.
    case sending
    /// The device accepted the request and is looking for the object.
    case looking
    /// The device saw the object at or above the threshold; its signed result checked out.
    case found
    /// The device looked until the request expired and did not see the object.
    case notFound = "not-found"
    /// The device is registered but not connected.
    case deviceOffline = "device-offline"
    /// The edge module that queues the device's requests is not connected.
    case moduleOffline = "module-offline"
    /// The account's device is not registered, or no secret is provisioned for it.
    case deviceUnknown = "device-unknown"
    /// The device did not answer the direct method in time.
    case timedOut = "timed-out"
    /// The hub throttled the request.
    case throttled
    /// The request expired before any result arrived.
    case expired
    /// The device answered the method with an error.
    case rejected
    /// A result arrived but failed validation (signature, request, class, threshold, image digest).
    case invalid
    /// The device answered at once that its camera delivers no frames (not a failed second factor).
    case cameraUnavailable = "camera-unavailable"
    /// The hub did not answer at all.
    case hubUnreachable = "hub-unreachable"
    /// Storage did not answer (the module could not queue the request, or results cannot be read).
    case storageUnreachable = "storage-unreachable"
    /// The front-end restarted while the verification ran: its outcome is unknown.
    case interrupted
    /// The hub or storage answered an unexpected error.
    case unavailable
    /// The personal object challenged was removed from the account before the result arrived.
    case objectRemoved = "object-removed"

    /// Whether nothing more will happen.
    var isTerminal: Bool { self != .sending && self != .looking }

    /// Whether the device's answer decided it (found, not found, or a result not accepted), rather
    /// than the way to the device failing or running out.
    var isDecided: Bool { self == .found || self == .notFound || self == .invalid || self == .objectRemoved }

    /// Whether this phase counts as a failed authentication attempt for throttling.
    var countsAsFailure: Bool { self == .notFound || self == .invalid }
}
