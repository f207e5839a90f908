import Foundation
import Hummingbird
import NIOCore
import Verification

/// "Your objects": a signed-in person's own objects (list, thumbnails, rename, remove), and adding
/// one: the enrolment's live page and its JSON status. Only a session that passed both factors
/// gets here, and only ever sees its own account's objects.
struct ObjectsController: Sendable {
    let state: FrontEndState

    func register(on router: Router<FrontEndRequestContext>) {
        router.get("/objects") { request, _ in try await self.list(request) }
        router.post("/objects") { request, context in try await self.add(request, context) }
        router.get("/objects/{id}/thumbnail") { request, context in try await self.thumbnail(request, id: context.parameters.get("id") ?? "") }
        router.post("/objects/{id}/rename") { request, context in try await self.rename(request, id: context.parameters.get("id") ?? "") }
        router.post("/objects/{id}/remove") { request, context in try await self.remove(request, context, id: context.parameters.get("id") ?? "") }
        router.get("/objects/enrol/{id}") { request, context in try await self.enrolmentPage(request, id: context.parameters.get("id") ?? "") }
        router.get("/objects/enrol/{id}/status") { request, context in try await self.enrolmentStatus(request, id: context.parameters.get("id") ?? "") }
    }

    /// The signed-in session and its account's name, or nil (the caller sends the browser to sign in).
    private func signedIn(_ request: Request) async -> (session: WebSession, username: String)? {
        guard let (_, session) = await state.sessions.load(request), case .authenticated(let username, _) = session.stage else { return nil }
        return (session, username)
    }

    /// The form's fields, once its CSRF token is checked against the session.
    private func form(_ request: Request, session: WebSession) async -> ObjectForm? {
        var request = request
        guard let body = try? await request.collectBody(upTo: 16 * 1024),
              let form = try? URLEncodedFormDecoder().decode(ObjectForm.self, from: String(buffer: body)),
              let token = form.csrf, RandomToken.constantTimeEquals(session.csrfToken, token)
        else { return nil }
        return form
    }

    private func forbidden() -> Response {
        state.renderer.message("Please try again", "The form expired or was not sent from this site.", status: .forbidden)
    }

    /// GET /objects: the person's objects and the form to add one.
    func list(_ request: Request) async throws -> Response {
        guard let (session, username) = await signedIn(request) else { return .seeOther("/") }
        let notice = request.uri.queryParameters.get("done").flatMap(Self.notice)
        return try await listPage(session: session, username: username, notice: notice)
    }

    private func listPage(session: WebSession, username: String, status: HTTPResponse.Status = .ok, name: String = "", error: LoginView.Problem? = nil, notice: String? = nil) async throws -> Response {
        let objects = try await state.objects.list(username: username)
        let account = try await state.users.find(username)
        var view = ObjectsView(
            username: username, csrf: session.csrfToken, objects: objects.map(ObjectsView.item), hasObjects: !objects.isEmpty,
            canAdd: objects.count < ObjectStore.maximumPerAccount, limit: ObjectStore.maximumPerAccount, deviceId: account?.deviceId ?? ""
        )
        view.name = name
        view.error = error
        view.notice = notice
        view.demoCamera = state.demoCamera != nil
        return state.renderer.page("objects", view, status: status)
    }

    static func notice(_ code: String) -> String? {
        switch code {
        case "renamed": "The object was renamed."
        case "removed": "The object was removed. It will not be asked for again, and your camera is told to forget it."
        default: nil
        }
    }

    /// POST /objects: asks the account's device to enrol a new object, then shows its progress.
    func add(_ request: Request, _ context: FrontEndRequestContext) async throws -> Response {
        guard let (session, username) = await signedIn(request) else { return .seeOther("/") }
        guard let form = await form(request, session: session) else { return forbidden() }
        let typed = form.name ?? ""
        guard let account = try await state.users.find(username) else { return .seeOther("/") }
        let enrolment: EnrolmentRequest
        do {
            enrolment = try await state.enroller.prepare(username: username, deviceId: account.deviceId, moduleId: account.moduleId, name: typed)
        } catch let error as FrontEndError {
            return try await listPage(session: session, username: username, status: .badRequest, name: typed,
                                      error: .init(title: "The object cannot be added.", text: Self.sentence(error)))
        } catch {
            state.logger.error("cannot prepare an enrolment for \(username): \(error)")
            return try await listPage(session: session, username: username, status: .internalServerError, name: typed,
                                      error: .init(title: "The object cannot be added.", text: "Your account is not set up for objects. Contact your administrator."))
        }
        let pending = PendingEnrolment(request: enrolment, username: username, address: state.clientAddress(request, context), sessionKey: session.key)
        guard await state.enrolments.start(pending) else {
            return try await listPage(session: session, username: username, status: .serviceUnavailable, name: typed,
                                      error: .init(title: "An enrolment is already running.", text: "Wait for it to finish, then try again."))
        }
        await state.record(AuditEvent(
            kind: .objectChanged, username: username, address: pending.address, requestId: enrolment.requestId,
            deviceId: enrolment.deviceId, className: enrolment.objectName, outcome: "enrol-sent"
        ))
        return .seeOther("/objects/enrol/\(enrolment.requestId)")
    }

    /// The person-facing sentence of a store error.
    static func sentence(_ error: FrontEndError) -> String {
        switch error {
        case .invalidObjectName: "Give it a name of 1 to 100 letters, digits, spaces and - ' , . _ ( )."
        case .objectExists(let name): "You already have an object called \(name). Choose another name."
        case .objectLimit(let limit): "You can have at most \(limit) objects. Remove one first."
        case .objectNotFound: "That object is not in your account."
        default: error.description
        }
    }

    /// GET /objects/{id}/thumbnail: the enrolled object's picture, to its owner only.
    func thumbnail(_ request: Request, id: String) async throws -> Response {
        guard Self.isTemplateId(id), let (_, username) = await signedIn(request),
              let object = try await state.objects.find(templateId: id, username: username)
        else {
            return Response(status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "not found\n")))
        }
        return Response(
            status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "private, no-store", .contentDisposition: "inline"],
            body: .init(byteBuffer: ByteBuffer(data: object.thumbnail))
        )
    }

    /// POST /objects/{id}/rename.
    func rename(_ request: Request, id: String) async throws -> Response {
        guard let (session, username) = await signedIn(request) else { return .seeOther("/") }
        guard let form = await form(request, session: session) else { return forbidden() }
        guard Self.isTemplateId(id) else { return .seeOther("/objects") }
        do {
            let object = try await state.objects.rename(templateId: id, username: username, to: form.name ?? "")
            await state.record(AuditEvent(kind: .objectChanged, username: username, deviceId: object.deviceId, className: object.name, outcome: "renamed", detail: "template \(id)"))
            return .seeOther("/objects?done=renamed")
        } catch let error as FrontEndError {
            let status: HTTPResponse.Status = if case .objectNotFound = error { .notFound } else { .badRequest }
            return try await listPage(session: session, username: username, status: status, error: .init(title: "The object was not renamed.", text: Self.sentence(error)))
        }
    }

    /// POST /objects/{id}/remove: deleted at once (never challenged again); the device is then
    /// told, best effort, to erase the template.
    func remove(_ request: Request, _ context: FrontEndRequestContext, id: String) async throws -> Response {
        guard let (session, username) = await signedIn(request) else { return .seeOther("/") }
        guard await form(request, session: session) != nil else { return forbidden() }
        guard Self.isTemplateId(id) else { return .seeOther("/objects") }
        do {
            let object = try await state.objects.remove(templateId: id, username: username)
            await state.enrolments.requestRemoval(of: object)
            await state.record(AuditEvent(
                kind: .objectChanged, username: username, address: state.clientAddress(request, context), deviceId: object.deviceId,
                className: object.name, outcome: "removed", detail: "template \(id)"
            ))
            return .seeOther("/objects?done=removed")
        } catch let error as FrontEndError {
            return try await listPage(session: session, username: username, status: .notFound, error: .init(title: "The object was not removed.", text: Self.sentence(error)))
        }
    }

    private func ownedEnrolment(_ request: Request, _ id: String) async -> (session: WebSession, enrolment: PendingEnrolment)? {
        guard VerificationController.isRequestId(id), let (session, username) = await signedIn(request),
              let enrolment = await state.enrolments.enrolment(id, sessionKey: session.key), enrolment.username == username
        else { return nil }
        return (session, enrolment)
    }

    /// GET /objects/enrol/{id}: the live progress while capturing, the result when done.
    func enrolmentPage(_ request: Request, id: String) async throws -> Response {
        guard let (session, enrolment) = await ownedEnrolment(request, id) else {
            if await signedIn(request) == nil { return .seeOther("/") }
            return state.renderer.message("Nothing to show here", "This enrolment has ended or belongs to another browser. Go to your objects to start a new one.", status: .notFound)
        }
        var view = EnrolmentView(enrolment)
        view.demoCamera = state.demoCamera != nil
        view.csrf = session.csrfToken
        return state.renderer.page("enrol", view)
    }

    /// GET /objects/enrol/{id}/status: the same as JSON, polled by the page.
    func enrolmentStatus(_ request: Request, id: String) async throws -> Response {
        guard let (_, enrolment) = await ownedEnrolment(request, id) else {
            return Response(status: .notFound, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\"not found\"}")))
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: VerificationController.json(EnrolmentView(enrolment)))))
    }

    static func isTemplateId(_ id: String) -> Bool {
        id.count == 32 && id.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }
}

/// The fields of the objects forms.
struct ObjectForm: Decodable {
    var csrf: String?
    var name: String?
}
