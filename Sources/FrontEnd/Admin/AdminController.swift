import Foundation
import Hummingbird

/// The admin pages: accounts (lock, unlock, new password, their objects), devices (connection,
/// the agent's reported settings and readiness), the audit log (filters, pages, evidence) and the
/// agents' dead letters (list, requeue).
///
/// Only for an account with the `admin` role, in a session that passed both factors, re-checked
/// against the database on every request; anyone else gets the 404 of an unknown path. Every
/// change is a POST carrying the session's CSRF token, and is audited as
/// ``AuditEvent/Kind/adminAction`` with the administrator as ``AuditEvent/actor``.
struct AdminController: Sendable {
    let state: FrontEndState
    /// Reads evidence images (``VerificationBackend``).
    let backend: any VerificationBackend
    /// Devices and dead letters; nil when the backend cannot reach them.
    let admin: (any AdminBackend)?

    /// The administrator behind one request.
    struct Caller {
        let session: WebSession
        let username: String
        let address: String
    }

    func register(on router: Router<FrontEndRequestContext>) {
        router.get("/admin") { request, context in
            _ = try await self.caller(request, context)
            return Response.seeOther("/admin/users")
        }
        registerUsers(on: router)
        registerDevices(on: router)
        registerAudit(on: router)
    }

    /// The administrator making this request, or the 404 anyone else gets.
    func caller(_ request: Request, _ context: FrontEndRequestContext) async throws -> Caller {
        let loaded = await state.sessions.load(request)
        var account: UserAccount?
        var locked = false
        if let username = loaded?.session.username, case .authenticated? = loaded?.session.stage {
            account = try await state.users.find(username)
            locked = try await state.accountThrottle.status(username).locked
        }
        guard case .allowed(let admin) = AdminAccess.decide(stage: loaded?.session.stage, account: account, locked: locked),
              let session = loaded?.session
        else { throw HTTPError(.notFound) }
        return Caller(session: session, username: admin, address: state.clientAddress(request, context))
    }

    /// The administrator and the fields of their form, once its CSRF token is checked; nil (a 403
    /// page, in `refused`) when the token is not this session's.
    func post(_ request: Request, _ context: FrontEndRequestContext) async throws -> (caller: Caller, form: AdminForm)? {
        let caller = try await caller(request, context)
        var request = request
        guard let body = try? await request.collectBody(upTo: 16 * 1024),
              let form = try? URLEncodedFormDecoder().decode(AdminForm.self, from: String(buffer: body)),
              let token = form.csrf, RandomToken.constantTimeEquals(caller.session.csrfToken, token)
        else { return nil }
        return (caller, form)
    }

    func expiredForm() -> Response {
        state.renderer.message("Please try again", "The form expired or was not sent from this site. Go back, reload the page and try again.", status: .forbidden)
    }

    /// Records an administrator's action.
    func record(_ caller: Caller, _ outcome: String, username: String? = nil, deviceId: String? = nil, detail: String? = nil) async {
        await state.record(AuditEvent(
            kind: .adminAction, username: username, address: caller.address, deviceId: deviceId, outcome: outcome,
            detail: detail, actor: caller.username))
    }

    func frame(_ caller: Caller, _ section: String, _ request: Request) -> AdminFrame {
        let done = request.uri.queryParameters.get("done")
        return AdminFrame(admin: caller.username, csrf: caller.session.csrfToken, section: section, notice: done.flatMap(Self.notice))
    }

    /// The sentence for `?done=` after an action (only known codes: nothing a link can inject).
    static func notice(_ code: String) -> String? {
        switch code {
        case "locked": "The account is locked: it cannot sign in, and its sessions have ended."
        case "unlocked": "The account is unlocked: its failed sign-ins are cleared."
        case "password": "The password is changed, the account unlocked, and its sessions have ended."
        case "object-removed": "The object was removed; the device is told to forget it."
        case "requeued": "Requeued: the agent checks the requests again from scratch."
        case "nothing": "Nothing was requeued: those dead letters are gone or are not agent records."
        default: nil
        }
    }
}

/// The fields of the admin forms.
struct AdminForm: Decodable {
    var csrf: String?
    var password: String?
    var device: String?
    var id: String?
    var all: String?
}
