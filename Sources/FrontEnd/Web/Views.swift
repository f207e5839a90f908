import Foundation

/// The sign-in page.
struct LoginView {
    struct Problem {
        let title: String
        let text: String
    }
    let csrf: String
    let action: String
    var username: String?
    var error: Problem?
    var notice: String?
}

/// One line of the progress list.
struct StepView: Codable, Sendable {
    let id: String
    let label: String
    /// `done`, `active`, `pending` or `failed` (a CSS class too).
    let state: String
    /// The state in words, for screen readers.
    let stateText: String

    init(id: String, label: String, state: String) {
        self.id = id
        self.label = label
        self.state = state
        switch state {
        case "done": stateText = "done"
        case "active": stateText = "in progress"
        case "failed": stateText = "failed"
        default: stateText = "waiting"
        }
    }
}

/// What the verification page, its event stream and its status endpoint show.
struct VerificationView: Encodable, Sendable {
    let requestId: String
    let phase: String
    let className: String
    let article: String
    let headline: String
    let message: String
    let steps: [StepView]
    let terminal: Bool
    let found: Bool
    let failed: Bool
    let secondsLeft: Int
    let expiresAtMillis: Int64
    let confidenceText: String?
    let thresholdText: String
    let deviceId: String
    let eventsURL: String
    let statusURL: String
    let imageURL: String?
    let completeURL: String
    /// The challenge is the person's own object (then the score is a similarity).
    let personal: Bool
    /// "87 % similar" or "93.5 %": the score as the evidence shows it.
    let scoreText: String?
    /// `edgefactor demo` only: link to the demo camera's switch.
    var demoCamera = false
    /// Only in the HTML page, never in JSON.
    var csrf: String = ""

    enum CodingKeys: String, CodingKey {
        case requestId, phase, className, headline, message, steps, terminal, found, failed, secondsLeft, confidenceText, imageURL, personal
    }

    init(_ verification: PendingVerification, now: Date = Date()) {
        let request = verification.request
        let id = request.requestId
        let phase = verification.phase
        requestId = id
        self.phase = phase.rawValue
        className = request.className
        personal = request.isPersonalObject
        article = personal ? "your" : Self.article(for: request.className)
        let copy = PhaseCopy(phase: phase, className: request.className, article: article, personal: personal)
        headline = copy.headline
        message = [copy.message, Self.scoreSoFar(phase: phase, best: verification.confidence, threshold: request.threshold, personal: personal)]
            .compactMap { $0 }.joined(separator: " ")
        steps = Self.steps(for: phase, className: "\(article) \(request.className)")
        terminal = phase.isTerminal
        found = phase == .found
        failed = phase.isTerminal && phase != .found
        secondsLeft = max(0, Int(request.expiresAt.timeIntervalSince(now).rounded()))
        expiresAtMillis = Int64(request.expiresAt.timeIntervalSince1970 * 1000)
        confidenceText = verification.confidence.map(Self.percent)
        let isPersonal = personal
        scoreText = verification.confidence.map { isPersonal ? Self.percent($0) + " similar" : Self.percent($0) }
        thresholdText = Self.percent(request.threshold)
        deviceId = request.deviceId
        eventsURL = "/verify/\(id)/events"
        statusURL = "/verify/\(id)/status"
        imageURL = phase == .found ? "/verify/\(id)/image" : nil
        completeURL = "/verify/\(id)/complete"
    }

    /// "Best so far: 43 % of the 70 % needed." while looking, and the best match after a miss.
    static func scoreSoFar(phase: VerificationPhase, best: Double?, threshold: Double, personal: Bool) -> String? {
        guard let best else { return nil }
        let score = percent(best) + (personal ? " similar" : "")
        switch phase {
        case .looking: return "Best so far: \(score) of the \(percent(threshold)) needed."
        case .notFound: return "The best match was \(score) of the \(percent(threshold)) needed."
        default: return nil
        }
    }

    static func percent(_ value: Double) -> String {
        String(format: value >= 99.95 || value == value.rounded() ? "%.0f %%" : "%.1f %%", value)
    }

    static func article(for noun: String) -> String {
        guard let first = noun.lowercased().first else { return "a" }
        return "aeiou".contains(first) ? "an" : "a"
    }

    static func steps(for phase: VerificationPhase, className: String) -> [StepView] {
        let sendState: String
        let lookState: String
        let doneState: String
        switch phase {
        case .sending: (sendState, lookState, doneState) = ("active", "pending", "pending")
        case .looking: (sendState, lookState, doneState) = ("done", "active", "pending")
        case .found: (sendState, lookState, doneState) = ("done", "done", "done")
        case .deviceOffline, .moduleOffline, .deviceUnknown, .timedOut, .throttled, .rejected, .hubUnreachable, .storageUnreachable, .interrupted:
            (sendState, lookState, doneState) = ("failed", "pending", "pending")
        case .notFound, .expired, .invalid, .objectRemoved, .cameraUnavailable: (sendState, lookState, doneState) = ("done", "failed", "pending")
        case .unavailable: (sendState, lookState, doneState) = ("failed", "pending", "pending")
        }
        return [
            StepView(id: "password", label: "Password accepted", state: "done"),
            StepView(id: "sent", label: "Request sent to your device", state: sendState),
            StepView(id: "looking", label: "Looking for \(className)", state: lookState),
            StepView(id: "verified", label: "Object verified", state: doneState),
        ]
    }
}

/// The words for each phase: what happened and what to do next.
struct PhaseCopy {
    let headline: String
    let message: String

    init(phase: VerificationPhase, className: String, article: String, personal: Bool = false) {
        switch phase {
        case .sending:
            (headline, message) = ("Contacting your device", "Sending the request to your camera…")
        case .looking where personal:
            (headline, message) = ("Show your \(className)", "Show your \(className) to the camera, turning it slowly, until it is recognised.")
        case .looking:
            (headline, message) = ("Show \(article) \(className)", "Hold \(article) \(className) in front of your camera until it is recognised.")
        case .found:
            (headline, message) = ("Verified", "Your camera saw \(article) \(className). Continue to finish signing in.")
        case .notFound:
            (headline, message) = ("Object not recognised", "The camera did not see \(article) \(className) in time. Start again to get a new challenge.")
        case .deviceOffline:
            (headline, message) = ("Your device is offline", "Your verification camera is not connected. Check that it is powered on and online, then start again.")
        case .cameraUnavailable:
            (headline, message) = ("Your camera is not working", "Your verification camera is connected but delivers no picture. Check its cable and lens, then start again; this attempt does not count against you.")
        case .moduleOffline:
            (headline, message) = ("The edge module is offline", "The edge module that passes requests to your camera is not connected to the hub. Check the edge box, then start again.")
        case .hubUnreachable:
            (headline, message) = ("The hub is unreachable", "The sign-in service cannot reach the IoT hub that connects it to your camera. Try again in a few minutes.")
        case .storageUnreachable:
            (headline, message) = ("Storage is unreachable", "The storage that carries requests to your camera and its answers back cannot be reached. Try again in a few minutes.")
        case .interrupted:
            (headline, message) = ("Sign-in interrupted", "The sign-in service restarted while your camera was looking. Start the sign-in again.")
        case .deviceUnknown:
            (headline, message) = ("Device not set up", "Your account's verification device is not set up. Contact your administrator.")
        case .timedOut:
            (headline, message) = ("Your device did not answer", "The camera did not respond in time. Wait a moment and start again.")
        case .throttled:
            (headline, message) = ("Service busy", "Too many requests are being processed. Wait a few seconds and start again.")
        case .expired:
            (headline, message) = ("Request expired", "The device did not report back before the request expired. Start again.")
        case .rejected:
            (headline, message) = ("Device refused the request", "Your camera refused the request. Contact your administrator if this keeps happening.")
        case .invalid:
            (headline, message) = ("Result not accepted", "The device's answer could not be verified, so it was not accepted. Contact your administrator.")
        case .unavailable:
            (headline, message) = ("Verification unavailable", "The verification service cannot be reached right now. Try again later.")
        case .objectRemoved:
            (headline, message) = ("Object removed", "Your \(className) was removed from your account, so it cannot be used to sign in. Start again.")
        }
    }
}

/// The protected page.
struct AccountView {
    struct Activity {
        let atISO: String
        let atText: String
        let kind: String
        let outcome: String
        let address: String
    }
    let username: String
    let csrf: String
    let className: String
    let confidenceText: String
    let deviceId: String
    /// How many personal objects the account has ("Your objects" link).
    let objectCount: Int
    let verifiedAtISO: String
    let verifiedAtText: String
    let activity: [Activity]
    let hasActivity: Bool
    /// An administrator: the page links to the admin pages.
    var isAdmin = false
}
