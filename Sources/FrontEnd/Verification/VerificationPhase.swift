/// Where one second-factor verification stands, from the user's point of view.
public enum VerificationPhase: String, Codable, Sendable, CaseIterable {
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
    /// The hub or storage could not be reached.
    case unavailable
    /// The personal object challenged was removed from the account before the result arrived.
    case objectRemoved = "object-removed"

    /// Whether nothing more will happen.
    public var isTerminal: Bool { self != .sending && self != .looking }

    /// Whether this phase counts as a failed authentication attempt for throttling.
    var countsAsFailure: Bool { self == .notFound || self == .invalid }
}
