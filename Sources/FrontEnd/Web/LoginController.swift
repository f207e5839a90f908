import Foundation
import Hummingbird
import Logging
import Verification

/// The first factor: the sign-in page, the form post (also under the original `/sendmessage`),
/// and sign-out.
struct LoginController: Sendable {
    let state: FrontEndState

    func register(on router: Router<FrontEndRequestContext>) {
        router.get("/") { request, _ in try await self.showLogin(request) }
        router.post("/login") { request, context in try await self.login(request, context, compatible: false) }
        router.post("/sendmessage") { request, context in try await self.login(request, context, compatible: true) }
        router.post("/logout") { request, context in try await self.logout(request, context) }
    }

    /// GET /: the form, or where the session already is.
    func showLogin(_ request: Request) async throws -> Response {
        if let (_, session) = await state.sessions.load(request) {
            switch session.stage {
            case .authenticated:
                return .seeOther("/account")
            case .awaitingDevice(_, let requestId):
                if let pending = await state.tracker.verification(requestId, sessionKey: session.key), !pending.phase.isTerminal {
                    return .seeOther("/verify/\(requestId)")
                }
                // The attempt is over: back to an anonymous session under a fresh id.
                let rotated = await state.sessions.store.rotate(session, to: .anonymous)
                var response = loginPage(csrf: rotated.session.csrfToken)
                response.setCookie(state.sessions.cookie(rotated.token))
                return response
            case .anonymous:
                return loginPage(csrf: session.csrfToken)
            }
        }
        let created = await state.sessions.store.create()
        var response = loginPage(csrf: created.session.csrfToken)
        response.setCookie(state.sessions.cookie(created.token))
        return response
    }

    /// POST /login and /sendmessage: check CSRF, throttles, password; then start the second factor.
    func login(_ request: Request, _ context: FrontEndRequestContext, compatible: Bool) async throws -> Response {
        let started = ContinuousClock.now
        let form: LoginForm
        do {
            var request = request
            let body = try await request.collectBody(upTo: 16 * 1024)
            form = try URLEncodedFormDecoder().decode(LoginForm.self, from: String(buffer: body))
        } catch {
            return state.renderer.message("Bad request", "The form could not be read. Go back and try again.", status: .badRequest)
        }
        let username = (form.username ?? form.userName ?? "").trimmingCharacters(in: .whitespaces)
        let password = form.password ?? ""
        let address = state.clientAddress(request, context)

        // CSRF: the token in the form must be the one bound to this browser's session.
        guard let (_, session) = await state.sessions.load(request),
              let token = form.csrf ?? form.requestVerificationToken,
              RandomToken.constantTimeEquals(session.csrfToken, token)
        else {
            await logFormRefusal(request, form: form)
            let created = await state.sessions.store.create()
            var response = loginPage(
                csrf: created.session.csrfToken, username: username, status: .forbidden,
                error: .init(title: "Please try again.", text: "The sign-in form expired or was not sent from this site.")
            )
            response.setCookie(state.sessions.cookie(created.token))
            return response
        }
        guard !username.isEmpty, !password.isEmpty else {
            return loginPage(csrf: session.csrfToken, username: username, status: .badRequest,
                             error: .init(title: "Enter your user name and password.", text: "Both are required."))
        }

        // Throttles: per address first (cheap, in memory), then per account name. Each admits
        // the attempt and counts it before the password is checked, so concurrent attempts
        // cannot slip past a wait that the first of them is about to earn.
        if case .wait(let until) = await state.addressThrottle.begin(address) {
            state.metrics.password(.throttled, since: started)
            await state.record(AuditEvent(kind: .throttled, username: username, address: address, outcome: "address-wait"))
            return throttledPage(csrf: session.csrfToken, username: username, until: until,
                                 text: "Too many failed sign-ins from your network.")
        }
        let accountDecision = try await state.accountThrottle.begin(username)
        if accountDecision != .allowed { await state.addressThrottle.release(address) }
        switch accountDecision {
        case .allowed:
            break
        case .wait(let until):
            state.metrics.password(.throttled, since: started)
            await state.record(AuditEvent(kind: .throttled, username: username, address: address, outcome: "account-wait"))
            return throttledPage(csrf: session.csrfToken, username: username, until: until,
                                 text: "Too many failed sign-ins for this account.")
        case .locked:
            state.metrics.password(.locked, since: started)
            await state.record(AuditEvent(kind: .throttled, username: username, address: address, outcome: "locked"))
            return loginPage(
                csrf: session.csrfToken, username: username, status: .tooManyRequests,
                error: .init(title: "This account is locked.", text: "There were too many failed sign-ins. Ask an administrator to unlock it.")
            )
        }

        // The password: an unknown name costs the same bcrypt check as a known one.
        let account = username.count <= 64 ? try await state.users.find(username) : nil
        let hasher = PasswordHasher(cost: state.configuration.bcryptCost)
        let matches = try await hasher.verify(password, against: account?.passwordHash ?? state.dummyHash)
        guard let account, matches else {
            state.metrics.password(.rejected, since: started)
            let (count, locked) = try await state.accountThrottle.confirmFailure(username)
            await state.addressThrottle.confirmFailure(address)
            await state.record(AuditEvent(kind: .passwordRejected, username: username, address: address,
                                          outcome: locked ? "locked" : "failed", detail: "consecutive failures: \(count)"))
            return loginPage(
                csrf: session.csrfToken, username: username, status: .unauthorized,
                error: .init(title: "Sign-in failed.", text: "The user name or password is not right.")
            )
        }
        // The right password is not a failure, but it clears nothing: earlier failures of this
        // account (second factors included) and of this address stay until a full sign-in.
        state.metrics.password(.accepted, since: started)
        try await state.accountThrottle.release(username)
        await state.addressThrottle.release(address)
        await state.record(AuditEvent(kind: .passwordAccepted, username: account.username, address: address, deviceId: account.deviceId, outcome: "ok"))
        return try await startSecondFactor(for: account, session: session, address: address, compatible: compatible)
    }

    /// Draws one of the person's own objects on the account's device, else a class; seals and
    /// registers the request, rotates the session and sends the browser to wait.
    private func startSecondFactor(for account: UserAccount, session: WebSession, address: String, compatible: Bool) async throws -> Response {
        let challenge: SecondFactorChallenge
        do {
            let objects = try await state.objects.list(username: account.username, deviceId: account.deviceId)
            guard let drawn = SecondFactorChallenge.draw(account: account, objects: objects, objectThreshold: state.configuration.objects.threshold) else {
                return loginPage(csrf: session.csrfToken, username: account.username, status: .internalServerError,
                                 error: .init(title: "Your account has no object enrolled.", text: "Ask an administrator to enrol one."))
            }
            challenge = drawn
        } catch {
            state.logger.error("cannot read the personal objects of \(account.username): \(error)")
            return loginPage(csrf: session.csrfToken, username: account.username, status: .internalServerError,
                             error: .init(title: "Sign-in is unavailable.", text: "Try again in a moment."))
        }
        let className = challenge.className
        let request: VerificationRequest
        do {
            request = try VerificationRequest.make(
                deviceId: account.deviceId, moduleId: account.moduleId, className: className, threshold: challenge.threshold,
                lifetime: state.configuration.verification.requestLifetime, templateId: challenge.templateId,
                accountRef: challenge.templateId == nil ? nil : AccountReference.make(username: account.username)
            )
        } catch {
            state.logger.error("cannot create a verification request for \(account.username): \(error)")
            return loginPage(csrf: session.csrfToken, username: account.username, status: .internalServerError,
                             error: .init(title: "Your account is not set up correctly.", text: "Ask an administrator to check it."))
        }
        let rotated = await state.sessions.store.rotate(session, to: .awaitingDevice(username: account.username, requestId: request.requestId))
        let pending = PendingVerification(request: request, username: account.username, address: address, sessionKey: rotated.session.key)
        if let refusal = await state.tracker.start(pending) {
            await state.sessions.store.update(rotated.session.key, stage: .anonymous)
            let problem: LoginView.Problem = switch refusal {
            case .busy: .init(title: "Too many sign-ins in progress.", text: "Wait a few seconds and try again.")
            case .accountBusy: .init(title: "Sign-ins for this account are already in progress.", text: "Finish or wait for them, then try again.")
            }
            var response = loginPage(csrf: rotated.session.csrfToken, username: account.username,
                                     status: refusal == .busy ? .serviceUnavailable : .tooManyRequests, error: problem)
            response.setCookie(state.sessions.cookie(rotated.token))
            return response
        }
        await state.record(AuditEvent(
            kind: .verificationRequested, username: account.username, address: address, requestId: request.requestId,
            deviceId: request.deviceId, className: className, outcome: "sent",
            detail: "threshold \(challenge.threshold) %" + (challenge.templateId.map { ", personal object \($0)" } ?? "")
        ))
        let location: String
        if compatible {
            var components = URLComponents()
            components.path = "/objectclassification"
            components.queryItems = [URLQueryItem(name: "requestId", value: request.requestId), URLQueryItem(name: "className", value: className)]
            location = components.string ?? "/verify/\(request.requestId)"
        } else {
            location = "/verify/\(request.requestId)"
        }
        return .seeOther(location, cookie: state.sessions.cookie(rotated.token))
    }

    /// POST /logout: ends the session (CSRF-checked so another site cannot sign you out).
    func logout(_ request: Request, _ context: FrontEndRequestContext) async throws -> Response {
        var request = request
        let body = try? await request.collectBody(upTo: 16 * 1024)
        let form = body.flatMap { try? URLEncodedFormDecoder().decode(LoginForm.self, from: String(buffer: $0)) }
        guard let (_, session) = await state.sessions.load(request) else { return .seeOther("/") }
        guard let token = form?.csrf, RandomToken.constantTimeEquals(session.csrfToken, token) else {
            return state.renderer.message("Please try again", "The sign-out form expired or was not sent from this site.", status: .forbidden)
        }
        await state.sessions.store.destroy(session.key)
        // "Start again" after a failed second factor also lands here; only a real sign-out is audited as one.
        if case .authenticated(let username, _) = session.stage {
            await state.record(AuditEvent(kind: .signedOut, username: username, address: state.clientAddress(request, context), outcome: "ok"))
        }
        return .seeOther("/", cookie: state.sessions.expiredCookie())
    }

    /// Says in the log why a sign-in form was refused as expired, so that an operator can tell a
    /// stale page from a set-up that can never work (a Secure cookie over plain HTTP).
    private func logFormRefusal(_ request: Request, form: LoginForm) async {
        let cookies = state.sessions
        var metadata: Logger.Metadata = ["path": "\(request.uri.path)"]
        if let origin = request.headers[.origin] { metadata["origin"] = "\(origin)" }
        guard let token = request.cookies[cookies.name]?.value, !token.isEmpty else {
            if cookies.secure {
                state.logger.warning(
                    "sign-in form refused: the browser sent no session cookie. With --behind-tls the cookie is Secure (\(cookies.name)), and browsers keep it only over HTTPS: open the site through the TLS proxy, or drop --behind-tls when serving plain HTTP on loopback.",
                    metadata: metadata)
            } else {
                state.logger.notice("sign-in form refused: the browser sent no session cookie (cookies blocked, or the form was posted from elsewhere)", metadata: metadata)
            }
            return
        }
        if await cookies.store.session(forToken: token) == nil {
            state.logger.notice("sign-in form refused: the session expired or is unknown (idle too long, or the front-end restarted)", metadata: metadata)
        } else {
            let reason = (form.csrf ?? form.requestVerificationToken) == nil ? "the form carries no CSRF token" : "the form's CSRF token is not this session's"
            state.logger.notice("sign-in form refused: \(reason)", metadata: metadata)
        }
    }

    private func loginPage(csrf: String, username: String? = nil, status: HTTPResponse.Status = .ok, error: LoginView.Problem? = nil) -> Response {
        let view = LoginView(csrf: csrf, action: "/login", username: username.map { String($0.prefix(64)) }, error: error)
        return state.renderer.page("login", view, status: status)
    }

    private func throttledPage(csrf: String, username: String, until: Date, text: String) -> Response {
        let seconds = max(1, Int(until.timeIntervalSinceNow.rounded(.up)))
        var response = loginPage(
            csrf: csrf, username: username, status: .tooManyRequests,
            error: .init(title: text, text: "Try again in \(seconds) second\(seconds == 1 ? "" : "s").")
        )
        response.headers[.retryAfter] = String(seconds)
        return response
    }
}

/// The sign-in form: EdgeFactor's field names and the original's (`userName`, ASP.NET's
/// `__RequestVerificationToken`).
struct LoginForm: Decodable {
    var username: String?
    var userName: String?
    var password: String?
    var csrf: String?
    var requestVerificationToken: String?

    enum CodingKeys: String, CodingKey {
        case username, userName, password, csrf
        case requestVerificationToken = "__RequestVerificationToken"
    }
}
