import Foundation
import Hummingbird
import NIOCore

/// The second factor as the browser sees it: the live page, its event stream and status (the
/// polling fallback), the evidence image, completing the sign-in, and the original's endpoints.
struct VerificationController: Sendable {
    let state: FrontEndState

    func register(on router: Router<FrontEndRequestContext>) {
        router.get("/verify/{id}") { request, context in try await self.page(request, id: context.parameters.get("id") ?? "") }
        router.get("/verify/{id}/status") { request, context in try await self.status(request, id: context.parameters.get("id") ?? "") }
        router.get("/verify/{id}/events") { request, context in try await self.events(request, id: context.parameters.get("id") ?? "") }
        router.get("/verify/{id}/image") { request, context in try await self.image(request, id: context.parameters.get("id") ?? "") }
        router.post("/verify/{id}/complete") { request, context in try await self.complete(request, context, id: context.parameters.get("id") ?? "") }
        // The original application's endpoints.
        router.get("/objectclassification") { request, _ in
            try await self.page(request, id: request.uri.queryParameters.get("requestId") ?? "")
        }
        router.get("/objectclassification/{id}/hasimageuploaded") { request, context in
            try await self.hasImageUploaded(request, id: context.parameters.get("id") ?? "")
        }
    }

    /// The session and its verification, if this browser owns `id`.
    private func owned(_ request: Request, _ id: String) async -> (session: WebSession, verification: PendingVerification)? {
        guard Self.isRequestId(id), let (_, session) = await state.sessions.load(request) else { return nil }
        guard let verification = await state.tracker.verification(id, sessionKey: session.key) else { return nil }
        return (session, verification)
    }

    /// GET /verify/{id}: the waiting page while in flight, the outcome when done.
    func page(_ request: Request, id: String) async throws -> Response {
        guard let (session, verification) = await owned(request, id) else {
            if state.interrupted.contains(id.lowercased()) || state.interrupted.contains(id) {
                return state.renderer.message("Sign-in interrupted", "The sign-in service restarted while your camera was looking, so this sign-in cannot finish. Sign in again to start a new one.", status: .notFound)
            }
            return state.renderer.message("Nothing to verify here", "This verification has ended or belongs to another browser. Sign in to start a new one.", status: .notFound)
        }
        var view = VerificationView(verification)
        view.csrf = session.csrfToken
        view.demoCamera = state.demoCamera != nil
        return state.renderer.page("verify", view)
    }

    /// GET /verify/{id}/status: the same as JSON (polling fallback).
    func status(_ request: Request, id: String) async throws -> Response {
        guard let (_, verification) = await owned(request, id) else {
            return Response(status: .notFound, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\"not found\"}")))
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: Self.json(VerificationView(verification)))))
    }

    /// GET /verify/{id}/events: Server-Sent Events, one `data:` line of JSON per change, ending
    /// when the verification ends; a comment every 15 s keeps proxies from closing it.
    func events(_ request: Request, id: String) async throws -> Response {
        guard let (session, _) = await owned(request, id),
              let updates = await state.tracker.updates(id, sessionKey: session.key)
        else {
            return Response(status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "not found\n")))
        }
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            let (chunks, output) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(16))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await update in updates {
                        output.yield("data: \(String(decoding: Self.json(VerificationView(update)), as: UTF8.self))\n\n")
                    }
                    output.finish()
                }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: .seconds(15))
                        output.yield(": keep-alive\n\n")
                    }
                }
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                for await chunk in chunks {
                    try await writer.write(ByteBuffer(string: chunk))
                }
                group.cancelAll()
            }
            try await writer.finish(nil)
        })
    }

    /// GET /verify/{id}/image: the validated evidence, to the session that asked for it only.
    func image(_ request: Request, id: String) async throws -> Response {
        guard let (_, verification) = await owned(request, id), verification.phase == .found, let image = verification.image else {
            return Response(status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "not found\n")))
        }
        return Response(
            status: .ok,
            headers: [.contentType: "image/jpeg", .cacheControl: "private, no-store", .contentDisposition: "inline"],
            body: .init(byteBuffer: ByteBuffer(data: image))
        )
    }

    /// POST /verify/{id}/complete: spends the verified result on this session (once) and signs in.
    func complete(_ request: Request, _ context: FrontEndRequestContext, id: String) async throws -> Response {
        var request = request
        let body = try? await request.collectBody(upTo: 16 * 1024)
        let form = body.flatMap { try? URLEncodedFormDecoder().decode(LoginForm.self, from: String(buffer: $0)) }
        guard let (session, _) = await owned(request, id) else { return .seeOther("/") }
        guard let token = form?.csrf, RandomToken.constantTimeEquals(session.csrfToken, token) else {
            return state.renderer.message("Please try again", "The form expired or was not sent from this site.", status: .forbidden)
        }
        guard case .awaitingDevice(let username, let requestId) = session.stage, requestId == id,
              let verification = await state.tracker.consume(id, sessionKey: session.key)
        else {
            return .seeOther("/")
        }
        // A personal object removed since its result was accepted no longer signs anyone in.
        if let templateId = verification.request.templateId {
            let exists = (try? await state.objects.find(templateId: templateId, username: username)) != nil
            guard exists else {
                await state.sessions.store.update(session.key, stage: .anonymous)
                await state.record(AuditEvent(
                    kind: .verificationCompleted, username: username, address: state.clientAddress(request, context), requestId: id,
                    deviceId: verification.request.deviceId, className: verification.request.className, outcome: VerificationPhase.objectRemoved.rawValue,
                    detail: "object \(templateId) was removed before the sign-in completed"
                ))
                return state.renderer.message("Object removed", "This object was removed from your account, so it cannot be used to sign in. Start again.", status: .forbidden)
            }
        }
        let proof = SignInProof(
            requestId: id, deviceId: verification.request.deviceId, className: verification.request.className,
            confidence: verification.confidence ?? 0, verifiedAt: verification.finishedAt ?? Date(),
            personal: verification.request.isPersonalObject
        )
        let rotated = await state.sessions.store.rotate(session, to: .authenticated(username: username, proof: proof))
        do { try await state.users.markSignedIn(username, at: Date()) } catch { state.logger.error("cannot record the sign-in time: \(error)") }
        // Both factors passed: only now are this account's failures forgiven (never the address's).
        do { try await state.accountThrottle.reset(username) } catch { state.logger.error("cannot clear the failure count: \(error)") }
        await state.record(AuditEvent(
            kind: .signedIn, username: username, address: state.clientAddress(request, context), requestId: id,
            deviceId: proof.deviceId, className: proof.className, confidence: proof.confidence, outcome: "ok"
        ))
        return .seeOther("/account", cookie: state.sessions.cookie(rotated.token))
    }

    /// GET /objectclassification/{id}/hasimageuploaded: the original's poll, a JSON string with the
    /// image URL once the result is validated, else "". The URL only works for this session.
    func hasImageUploaded(_ request: Request, id: String) async throws -> Response {
        var url = ""
        if let (_, verification) = await owned(request, id), verification.phase == .found {
            url = "/verify/\(id)/image"
        }
        let body = Self.json(url)
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(data: body)))
    }

    static func isRequestId(_ id: String) -> Bool {
        (id.count == 32 && id.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) })
            || (id.count == 36 && UUID(uuidString: id) != nil)
    }

    static func json(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data("null".utf8)
    }
}
