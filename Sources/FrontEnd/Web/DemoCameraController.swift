import Foundation
import Hummingbird

/// `edgefactor demo` only: `GET /demo/camera` shows which sample the demo camera is pointed at,
/// `POST /demo/camera` with `source=cup|box|photos` (and an optional local `back` path) points
/// it at another. Registered only when the front-end was given a ``DemoCameraControl``; it
/// changes nothing but what the demo's camera sees, so it needs no sign-in.
struct DemoCameraController: Sendable {
    let state: FrontEndState

    func register(on router: Router<FrontEndRequestContext>) {
        router.get("/demo/camera") { request, _ in try await self.show(request) }
        router.post("/demo/camera") { request, _ in try await self.select(request) }
    }

    func show(_ request: Request, notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let camera = state.demoCamera else { return .seeOther("/") }
        let current = await camera.current()
        let back = Self.localPath(request.uri.queryParameters.get("back")) ?? "/"
        let sources = camera.sources.map { DemoCameraView.Source(name: $0, label: Self.label($0), checked: $0 == current) }
        return state.renderer.page("demo-camera", DemoCameraView(sources: sources, current: Self.label(current), back: back, notice: notice), status: status)
    }

    func select(_ request: Request) async throws -> Response {
        guard let camera = state.demoCamera else { return .seeOther("/") }
        var request = request
        let body = try? await request.collectBody(upTo: 4 * 1024)
        let form = body.flatMap { try? URLEncodedFormDecoder().decode(DemoCameraForm.self, from: String(buffer: $0)) }
        guard let source = form?.source, camera.sources.contains(source) else {
            return Response(status: .badRequest, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "choose source= one of \(camera.sources.joined(separator: ", "))\n")))
        }
        do {
            try await camera.select(source)
        } catch {
            return Response(status: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "cannot switch the demo camera: \(error)\n")))
        }
        return .seeOther(Self.localPath(form?.back) ?? "/demo/camera")
    }

    /// Only a path on this site (no scheme, no host, no `//`): never an open redirect.
    static func localPath(_ text: String?) -> String? {
        guard let text, text.hasPrefix("/"), !text.hasPrefix("//"), !text.contains("\\"), text.count <= 200,
              text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f })
        else { return nil }
        return text
    }

    static func label(_ source: String) -> String {
        switch source {
        case "cup": "a black cup"
        case "box": "a yellow box"
        case "photos": "the sample photos"
        default: source
        }
    }
}

struct DemoCameraForm: Decodable {
    var source: String?
    var back: String?
}
