import Foundation
import Hummingbird

/// The protected page: only a session that passed both factors sees it.
struct AccountController: Sendable {
    let state: FrontEndState

    func register(on router: Router<FrontEndRequestContext>) {
        router.get("/account") { request, _ in try await self.account(request) }
    }

    func account(_ request: Request) async throws -> Response {
        guard let (_, session) = await state.sessions.load(request), case .authenticated(let username, let proof) = session.stage else {
            return .seeOther("/")
        }
        let events = (try? await state.audit.recent(username: username, limit: 8)) ?? []
        let activity = events.map { event in
            AccountView.Activity(
                atISO: event.at.formatted(.iso8601), atText: Self.format(event.at), kind: Self.describe(event.kind),
                outcome: event.outcome, address: event.address ?? ""
            )
        }
        let objectCount = (try? await state.objects.list(username: username).count) ?? 0
        var view = AccountView(
            username: username, csrf: session.csrfToken, className: proof.personal ? "your \(proof.className)" : proof.className,
            confidenceText: VerificationView.percent(proof.confidence) + (proof.personal ? " similar" : ""), deviceId: proof.deviceId,
            objectCount: objectCount,
            verifiedAtISO: proof.verifiedAt.formatted(.iso8601), verifiedAtText: Self.format(proof.verifiedAt),
            activity: activity, hasActivity: !activity.isEmpty
        )
        view.isAdmin = (try? await state.users.find(username))?.role == .admin
        return state.renderer.page("account", view)
    }

    static func format(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "d MMM, HH:mm:ss"
        return formatter.string(from: date)
    }

    static func describe(_ kind: AuditEvent.Kind) -> String {
        switch kind {
        case .passwordAccepted: "Password accepted"
        case .passwordRejected: "Wrong password"
        case .throttled: "Sign-in throttled"
        case .verificationRequested: "Camera check requested"
        case .verificationCompleted: "Camera check finished"
        case .signedIn: "Signed in"
        case .signedOut: "Signed out"
        case .accountChanged: "Account changed"
        case .objectChanged: "Object changed"
        case .adminAction: "Administrator's action"
        }
    }
}
