import EdgeFactorSupport
public import Foundation

/// "Capture `views` distinct views of the object now in front of the camera, for at most
/// `captureSeconds`, and keep them as a template of `accountRef`'s object named `objectName`".
/// Created and sealed by the front-end with the device's secret (`EnvelopeKind.enrolment`); it
/// travels as the `EnrollObject` direct method, through the module and the requests queue, like a
/// `VerificationRequest`.
public struct EnrolmentRequest: Codable, Sendable, Hashable {
    /// Fewest and most views an enrolment may ask for.
    public static let viewRange = 3...12
    /// Shortest and longest capture an enrolment may ask for, in seconds.
    public static let captureRange: ClosedRange<Double> = 2...60

    public var requestId: String
    public var deviceId: String
    public var moduleId: String?
    /// The account the template will belong to (`AccountReference`).
    public var accountRef: String
    /// The person's name for the object ("blue mug"), drawn on the thumbnail's evidence only.
    public var objectName: String
    public var views: Int
    public var captureSeconds: Double
    public var issuedAt: Date
    public var expiresAt: Date
    public var nonce: String

    public init(
        requestId: String, deviceId: String, moduleId: String?, accountRef: String, objectName: String,
        views: Int, captureSeconds: Double, issuedAt: Date, expiresAt: Date, nonce: String
    ) {
        self.requestId = requestId
        self.deviceId = deviceId
        self.moduleId = moduleId
        self.accountRef = accountRef
        self.objectName = objectName
        self.views = views
        self.captureSeconds = captureSeconds
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.nonce = nonce
    }

    /// A new request with a random id and nonce that expires some seconds after the capture ends.
    public static func make(
        deviceId: String, moduleId: String?, accountRef: String, objectName: String, views: Int = 5,
        captureSeconds: Double = 12, now: Date = Date()
    ) throws(VerificationError) -> EnrolmentRequest {
        let request = EnrolmentRequest(
            requestId: RandomID.hex128(), deviceId: deviceId, moduleId: moduleId, accountRef: accountRef,
            objectName: objectName, views: views, captureSeconds: captureSeconds, issuedAt: now,
            expiresAt: now.addingTimeInterval(captureSeconds + 45), nonce: Base64URL.random(byteCount: 16))
        try request.validate(now: now)
        return request
    }

    /// Checks every field and that the request is live at `now`.
    public func validate(now: Date = Date()) throws(VerificationError) {
        try FieldRules.requestId(requestId)
        try FieldRules.identityId(deviceId, name: "deviceId")
        if let moduleId { try FieldRules.identityId(moduleId, name: "moduleId") }
        try FieldRules.hex128(accountRef, name: "accountRef")
        try FieldRules.className(objectName)
        guard Self.viewRange.contains(views) else {
            throw .invalidField(name: "views", reason: "must be \(Self.viewRange.lowerBound)–\(Self.viewRange.upperBound)")
        }
        guard captureSeconds.isFinite, Self.captureRange.contains(captureSeconds) else {
            throw .invalidField(name: "captureSeconds", reason: "must be \(Int(Self.captureRange.lowerBound))–\(Int(Self.captureRange.upperBound)) s")
        }
        try FieldRules.nonce(nonce)
        let lifetime = expiresAt.timeIntervalSince(issuedAt)
        guard lifetime > captureSeconds, lifetime <= VerificationRequest.maximumLifetime else {
            throw .invalidField(name: "expiresAt", reason: "lifetime must exceed the capture and be at most \(Int(VerificationRequest.maximumLifetime)) s")
        }
        guard issuedAt.timeIntervalSince(now) <= VerificationRequest.allowedClockSkew else { throw .notYetValid(at: issuedAt) }
        guard now < expiresAt else { throw .expired(at: expiresAt) }
    }
}
