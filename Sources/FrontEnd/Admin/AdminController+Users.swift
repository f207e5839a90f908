import Foundation
import Hummingbird

extension AdminController {
    func registerUsers(on router: Router<FrontEndRequestContext>) {
        router.get("/admin/users") { request, context in try await self.users(request, context) }
        router.get("/admin/users/{name}") { request, context in try await self.user(request, context, name: context.parameters.get("name") ?? "") }
        router.get("/admin/users/{name}/objects/{id}/thumbnail") { request, context in
            try await self.objectThumbnail(request, context, name: context.parameters.get("name") ?? "", id: context.parameters.get("id") ?? "")
        }
        router.post("/admin/users/{name}/lock") { request, context in try await self.lock(request, context, name: context.parameters.get("name") ?? "") }
        router.post("/admin/users/{name}/unlock") { request, context in try await self.unlock(request, context, name: context.parameters.get("name") ?? "") }
        router.post("/admin/users/{name}/password") { request, context in try await self.setPassword(request, context, name: context.parameters.get("name") ?? "") }
        router.post("/admin/users/{name}/objects/{id}/remove") { request, context in
            try await self.removeObject(request, context, name: context.parameters.get("name") ?? "", id: context.parameters.get("id") ?? "")
        }
    }

    static func userURL(_ username: String) -> String {
        "/admin/users/" + (username.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? username)
    }

    /// GET /admin/users.
    func users(_ request: Request, _ context: FrontEndRequestContext) async throws -> Response {
        let caller = try await caller(request, context)
        let accounts = try await state.users.list()
        let objects = try await state.objects.listAll()
        var rows: [AdminUsersView.Row] = []
        for account in accounts {
            let status = try await state.accountThrottle.status(account.username)
            let url = Self.userURL(account.username)
            rows.append(AdminUsersView.Row(
                username: account.username, url: url, roleText: account.role == .admin ? "administrator" : "user",
                device: account.deviceId + (account.moduleId.map { "/\($0)" } ?? ""), classes: account.classes.joined(separator: ", "),
                objectCount: objects.filter { $0.username.caseInsensitiveCompare(account.username) == .orderedSame }.count,
                failures: status.consecutive, locked: status.locked,
                lastSignIn: account.lastLoginAt.map(AccountController.format) ?? "never",
                lockURL: url + "/lock", unlockURL: url + "/unlock",
                actionable: AdminAccess.refusal(admin: caller.username, target: account) == nil))
        }
        let view = AdminUsersView(frame: frame(caller, "users", request), users: rows, hasUsers: !rows.isEmpty)
        return state.renderer.page("admin-users", view)
    }

    /// GET /admin/users/{name}.
    func user(_ request: Request, _ context: FrontEndRequestContext, name: String) async throws -> Response {
        let caller = try await caller(request, context)
        return try await userPage(caller, name: name, frame: frame(caller, "users", request))
    }

    private func userPage(_ caller: Caller, name: String, frame: AdminFrame, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let account = try await state.users.find(name) else {
            return state.renderer.message("No such account", "There is no account called \(name.prefix(64)).", status: .notFound)
        }
        let throttle = try await state.accountThrottle.status(account.username)
        let url = Self.userURL(account.username)
        let objects = try await state.objects.list(username: account.username).map { object in
            AdminUserView.Object(
                templateId: object.templateId, name: object.name, thumbnailURL: "\(url)/objects/\(object.templateId)/thumbnail",
                createdISO: object.createdAt.formatted(.iso8601), createdText: AccountController.format(object.createdAt),
                qualityText: ObjectsView.qualityText(object.quality), removeURL: "\(url)/objects/\(object.templateId)/remove")
        }
        let refusal = AdminAccess.refusal(admin: caller.username, target: account)
        let view = AdminUserView(
            frame: frame, username: account.username, roleText: account.role == .admin ? "administrator" : "user",
            device: account.deviceId + (account.moduleId.map { "/\($0)" } ?? ""), classes: account.classes.joined(separator: ", "),
            threshold: VerificationView.percent(account.threshold), failures: throttle.consecutive, locked: throttle.locked,
            lastSignIn: account.lastLoginAt.map(AccountController.format) ?? "never", created: AccountController.format(account.createdAt),
            lockURL: url + "/lock", unlockURL: url + "/unlock", passwordURL: url + "/password",
            objects: objects, hasObjects: !objects.isEmpty, refusal: refusal, actionable: refusal == nil)
        return state.renderer.page("admin-user", view, status: status)
    }

    /// The account an action names, once the form and the rules allow it; else the page to send.
    private func target(_ request: Request, _ context: FrontEndRequestContext, name: String) async throws -> (Caller, AdminForm, UserAccount)? {
        guard let (caller, form) = try await post(request, context) else { return nil }
        guard let account = try await state.users.find(name) else { throw HTTPError(.notFound) }
        return (caller, form, account)
    }

    /// POST /admin/users/{name}/lock: sign-in refuses the account until it is unlocked; its
    /// sessions end at once.
    func lock(_ request: Request, _ context: FrontEndRequestContext, name: String) async throws -> Response {
        guard let (caller, _, account) = try await target(request, context, name: name) else { return expiredForm() }
        if let refusal = AdminAccess.refusal(admin: caller.username, target: account) { return try await refused(caller, account, refusal) }
        try await state.accountThrottle.lock(account.username)
        let ended = await state.sessions.store.destroyAll(username: account.username)
        await record(caller, "locked", username: account.username, detail: "sessions ended: \(ended)")
        return .seeOther(Self.userURL(account.username) + "?done=locked")
    }

    /// POST /admin/users/{name}/unlock: clears failures and the lock (`users set --unlock`).
    func unlock(_ request: Request, _ context: FrontEndRequestContext, name: String) async throws -> Response {
        guard let (caller, _, account) = try await target(request, context, name: name) else { return expiredForm() }
        if let refusal = AdminAccess.refusal(admin: caller.username, target: account) { return try await refused(caller, account, refusal) }
        try await state.accountThrottle.reset(account.username)
        await record(caller, "unlocked", username: account.username)
        return .seeOther(Self.userURL(account.username) + "?done=unlocked")
    }

    /// POST /admin/users/{name}/password: a new password (the account's policy applies), which
    /// also unlocks, as `users set --password` does; the account's sessions end.
    func setPassword(_ request: Request, _ context: FrontEndRequestContext, name: String) async throws -> Response {
        guard let (caller, form, account) = try await target(request, context, name: name) else { return expiredForm() }
        if let refusal = AdminAccess.refusal(admin: caller.username, target: account) { return try await refused(caller, account, refusal) }
        do {
            try await state.users.update(username: account.username, changes: UserStore.Changes(password: form.password ?? ""))
        } catch let error as FrontEndError {
            var frame = AdminFrame(admin: caller.username, csrf: caller.session.csrfToken, section: "users")
            frame.error = "The password was not changed: \(error.description)"
            return try await userPage(caller, name: account.username, frame: frame, status: .badRequest)
        }
        try await state.accountThrottle.reset(account.username)
        let ended = await state.sessions.store.destroyAll(username: account.username)
        await record(caller, "password-reset", username: account.username, detail: "sessions ended: \(ended)")
        return .seeOther(Self.userURL(account.username) + "?done=password")
    }

    /// POST /admin/users/{name}/objects/{id}/remove: as the person's own remove button.
    func removeObject(_ request: Request, _ context: FrontEndRequestContext, name: String, id: String) async throws -> Response {
        guard let (caller, _, account) = try await target(request, context, name: name) else { return expiredForm() }
        if let refusal = AdminAccess.refusal(admin: caller.username, target: account) { return try await refused(caller, account, refusal) }
        guard ObjectsController.isTemplateId(id) else { throw HTTPError(.notFound) }
        let object: PersonalObject
        do {
            object = try await state.objects.remove(templateId: id, username: account.username)
        } catch FrontEndError.objectNotFound(_) {
            throw HTTPError(.notFound)
        }
        await state.enrolments.requestRemoval(of: object)
        await record(caller, "object-removed", username: account.username, deviceId: object.deviceId, detail: "template \(id) \"\(object.name)\"")
        return .seeOther(Self.userURL(account.username) + "?done=object-removed")
    }

    /// GET /admin/users/{name}/objects/{id}/thumbnail.
    func objectThumbnail(_ request: Request, _ context: FrontEndRequestContext, name: String, id: String) async throws -> Response {
        _ = try await caller(request, context)
        guard ObjectsController.isTemplateId(id), let object = try await state.objects.find(templateId: id, username: name) else {
            throw HTTPError(.notFound)
        }
        return Response(
            status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "private, no-store", .contentDisposition: "inline"],
            body: .init(byteBuffer: ByteBuffer(data: object.thumbnail)))
    }

    private func refused(_ caller: Caller, _ account: UserAccount, _ refusal: String) async throws -> Response {
        await record(caller, "refused", username: account.username, detail: refusal)
        var frame = AdminFrame(admin: caller.username, csrf: caller.session.csrfToken, section: "users")
        frame.error = refusal
        return try await userPage(caller, name: account.username, frame: frame, status: .forbidden)
    }
}
