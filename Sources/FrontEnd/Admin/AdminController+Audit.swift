import Foundation
import Hummingbird

extension AdminController {
    /// Evidence images larger than this are not served.
    static let evidenceLimit = 8 * 1024 * 1024

    func registerAudit(on router: Router<FrontEndRequestContext>) {
        router.get("/admin/audit") { request, context in try await self.audit(request, context) }
        router.get("/admin/evidence/{id}") { request, context in try await self.evidence(request, context, id: context.parameters.get("id") ?? "") }
    }

    /// GET /admin/audit?user=&outcome=&from=&to=&page=: newest first, 50 a page.
    func audit(_ request: Request, _ context: FrontEndRequestContext) async throws -> Response {
        let caller = try await caller(request, context)
        var parameters: [String: String] = [:]
        for name in ["user", "outcome", "from", "to", "page"] {
            if let value = request.uri.queryParameters.get(name) { parameters[name] = String(value.prefix(200)) }
        }
        let query = AuditQuery(parameters: parameters)
        let (events, hasMore) = try await state.audit.search(query)
        let rows = events.map(Self.row)
        let view = AdminAuditView(
            frame: frame(caller, "audit", request), events: rows, hasEvents: !rows.isEmpty,
            user: query.username ?? "", outcome: query.outcome ?? "",
            from: query.from.map(AuditQuery.dayText) ?? "", to: query.to.map { AuditQuery.dayText($0.addingTimeInterval(-86_400)) } ?? "",
            page: query.page,
            newerURL: query.page > 1 ? "/admin/audit?" + query.queryString(page: query.page - 1) : nil,
            olderURL: hasMore && query.page < AuditQuery.maximumPage ? "/admin/audit?" + query.queryString(page: query.page + 1) : nil,
            problems: query.problems.isEmpty ? nil : "Ignored: " + query.problems.joined(separator: ", ") + ".")
        return state.renderer.page("admin-audit", view)
    }

    static func row(_ event: AuditEvent) -> AdminAuditView.Row {
        let evidence = event.kind == .verificationCompleted && event.outcome == VerificationPhase.found.rawValue
        let requestId = event.requestId.flatMap { VerificationController.isRequestId($0) ? $0 : nil }
        return AdminAuditView.Row(
            atISO: event.at.formatted(.iso8601), atText: AccountController.format(event.at), kind: AccountController.describe(event.kind),
            username: event.username ?? "-", actor: event.actor ?? "", address: event.address ?? "", deviceId: event.deviceId ?? "",
            className: event.className ?? "", confidence: event.confidence.map(VerificationView.percent) ?? "",
            outcome: event.outcome, detail: event.detail ?? "",
            evidenceURL: evidence ? requestId.map { "/admin/evidence/\($0)" } : nil,
            evidenceAlt: "What \(event.deviceId ?? "the device") saw: \(event.className ?? "the object")")
    }

    /// GET /admin/evidence/{requestId}: the labelled picture of a verification the log records as
    /// found, read from that device's results (`{requestId}/imageWithDetection.jpg`) through the
    /// front-end: the storage account never reaches the browser.
    func evidence(_ request: Request, _ context: FrontEndRequestContext, id: String) async throws -> Response {
        _ = try await caller(request, context)
        guard VerificationController.isRequestId(id), let deviceId = try await state.audit.foundDevice(requestId: id) else {
            throw HTTPError(.notFound)
        }
        let image: Data?
        do {
            image = try await backend.readBlob(
                named: "\(id)/imageWithDetection.jpg", container: backend.homeContainer(forDevice: deviceId), maximumSize: Self.evidenceLimit)
        } catch {
            state.logger.warning("cannot read the evidence of \(id): \(error)")
            throw HTTPError(.badGateway)
        }
        guard let image, !image.isEmpty else { throw HTTPError(.notFound) }
        return Response(
            status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "private, no-store", .contentDisposition: "inline"],
            body: .init(byteBuffer: ByteBuffer(data: image)))
    }
}
