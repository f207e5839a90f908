/// Where one enrolment of a personal object stands, from the person's point of view.
package enum EnrolmentPhase: String, Codable, Sendable, CaseIterable {
    /// `EnrollObject` is on its way to the device.
    case sending
    /// The device accepted and is capturing views.
    case capturing
    /// The device built the template; the object is stored and can be challenged.
    case enrolled
    /// The device refused the capture (too few distinct views, blurred, empty scene): `reason` says why.
    case refused
    /// The device is registered but not connected.
    case deviceOffline = "device-offline"
    /// The device is not registered, or no secret is provisioned for it.
    case deviceUnknown = "device-unknown"
    /// The device did not answer the direct method in time.
    case timedOut = "timed-out"
    /// The hub throttled the request.
    case throttled
    /// The device answered the method with an error.
    case rejected
    /// No result arrived before the enrolment expired.
    case expired
    /// A result arrived but failed validation (seal, request, thumbnail digest).
    case invalid
    /// The template was built but the front-end could not keep it (limit reached meanwhile, database).
    case notStored = "not-stored"
    /// The hub or storage could not be reached.
    case unavailable

    /// Whether nothing more will happen.
    var isTerminal: Bool { self != .sending && self != .capturing }
}
