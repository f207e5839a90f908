import Foundation
import Verification

/// The "Your objects" page.
struct ObjectsView {
    struct Item {
        let templateId: String
        let name: String
        let thumbnailURL: String
        let createdISO: String
        let createdText: String
        let qualityText: String
        let renameURL: String
        let removeURL: String
    }
    let username: String
    let csrf: String
    let objects: [Item]
    let hasObjects: Bool
    let canAdd: Bool
    let limit: Int
    let deviceId: String
    var name: String = ""
    var error: LoginView.Problem?
    var notice: String?
    var demoCamera = false

    static func item(_ object: PersonalObject) -> Item {
        Item(
            templateId: object.templateId, name: object.name, thumbnailURL: "/objects/\(object.templateId)/thumbnail",
            createdISO: object.createdAt.formatted(.iso8601), createdText: AccountController.format(object.createdAt),
            qualityText: qualityText(object.quality), renameURL: "/objects/\(object.templateId)/rename",
            removeURL: "/objects/\(object.templateId)/remove"
        )
    }

    /// "5 views from 48 frames (3 blurred, 20 repeats, 0 empty scene)".
    static func qualityText(_ quality: TemplateQuality) -> String {
        "\(quality.views) views from \(quality.framesSeen) frames (\(quality.blurryFrames) blurred, "
            + "\(quality.repeatedFrames) repeats, \(quality.emptySceneFrames) empty scene)"
    }
}

/// What the enrolment page and its status endpoint show.
struct EnrolmentView: Encodable, Sendable {
    let requestId: String
    let phase: String
    let name: String
    let headline: String
    let message: String
    /// The device's advice now ("turn it slowly").
    let hint: String?
    let acceptedViews: Int
    let wantedViews: Int
    /// "2 of 5 views accepted".
    let viewsText: String
    /// Why the device refused the latest frame.
    let lastRefusal: String?
    let terminal: Bool
    let enrolled: Bool
    let failed: Bool
    let secondsLeft: Int
    let expiresAtMillis: Int64
    let thumbnailURL: String?
    let qualityText: String?
    let statusURL: String
    var demoCamera = false
    /// Only in the HTML page, never in JSON.
    var csrf = ""

    enum CodingKeys: String, CodingKey {
        case requestId, phase, name, headline, message, hint, acceptedViews, wantedViews, viewsText, lastRefusal, terminal, enrolled, failed, thumbnailURL
    }

    init(_ enrolment: PendingEnrolment, now: Date = Date()) {
        let request = enrolment.request
        let status = enrolment.status
        requestId = request.requestId
        phase = status.phase.rawValue
        name = request.objectName
        let copy = EnrolmentCopy(status: status, name: request.objectName)
        headline = copy.headline
        message = copy.message
        hint = status.phase.isTerminal ? nil : status.progress?.hint
        // Once over, the result's figures; before, the device's latest progress.
        acceptedViews = (status.phase.isTerminal ? status.quality?.views : nil) ?? status.progress?.acceptedViews ?? 0
        wantedViews = request.views
        viewsText = "\(acceptedViews) of \(wantedViews) views accepted"
        lastRefusal = status.phase.isTerminal ? nil : status.progress?.lastRefusal
        terminal = status.phase.isTerminal
        enrolled = status.phase == .enrolled
        failed = status.phase.isTerminal && status.phase != .enrolled
        secondsLeft = max(0, Int(request.expiresAt.timeIntervalSince(now).rounded()))
        expiresAtMillis = Int64(request.expiresAt.timeIntervalSince1970 * 1000)
        thumbnailURL = status.object.map { "/objects/\($0.templateId)/thumbnail" }
        qualityText = status.quality.map(ObjectsView.qualityText)
        statusURL = "/objects/enrol/\(request.requestId)/status"
    }
}

/// The words for each enrolment phase: what happened and what to do next.
struct EnrolmentCopy {
    let headline: String
    let message: String

    init(status: EnrolmentStatus, name: String) {
        switch status.phase {
        case .sending:
            (headline, message) = ("Contacting your device", "Asking your camera to look at your \(name)…")
        case .capturing:
            (headline, message) = ("Turn your \(name) slowly", "Hold your \(name) in front of the camera and turn it slowly, so that it sees it from several sides.")
        case .enrolled:
            (headline, message) = ("Your \(name) is enrolled", "From now on, signing in asks you to show your \(name) to the camera.")
        case .refused:
            (headline, message) = ("Enrolment refused", (status.reason ?? "The camera could not use what it saw.") + " Try again.")
        case .deviceOffline:
            (headline, message) = ("Your device is offline", "Your camera is not connected. Check that it is powered on and online, then try again.")
        case .deviceUnknown:
            (headline, message) = ("Device not set up", "Your account's camera is not set up. Contact your administrator.")
        case .timedOut:
            (headline, message) = ("Your device did not answer", "The camera did not respond in time. Wait a moment and try again.")
        case .throttled:
            (headline, message) = ("Service busy", "Too many requests are being processed. Wait a few seconds and try again.")
        case .rejected:
            (headline, message) = ("Device refused the request", "Your camera refused the enrolment. Contact your administrator if this keeps happening.")
        case .expired:
            (headline, message) = ("Enrolment expired", "The camera did not report back in time. Try again.")
        case .invalid:
            (headline, message) = ("Result not accepted", "The camera's answer could not be verified, so nothing was stored. Contact your administrator.")
        case .notStored:
            (headline, message) = ("Object not stored", "The camera enrolled it, but it could not be kept: \(status.reason ?? "try again").")
        case .unavailable:
            (headline, message) = ("Enrolment unavailable", "The service cannot be reached right now. Try again later.")
        }
    }
}

/// The demo camera's switch.
struct DemoCameraView {
    struct Source {
        let name: String
        let label: String
        let checked: Bool
    }
    let sources: [Source]
    let current: String
    let back: String
    var notice: String?
}
