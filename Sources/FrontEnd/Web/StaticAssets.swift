import Hummingbird

/// `/static/app.css` and `/static/app.js`, from memory, cacheable for an hour; and `/healthz`.
struct StaticAssets: Sendable {
    let renderer: PageRenderer

    func register(on router: Router<FrontEndRequestContext>) {
        let css = renderer.stylesheet
        let js = renderer.script
        router.get("/static/app.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"], body: .init(byteBuffer: css))
        }
        router.get("/static/app.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "public, max-age=3600"], body: .init(byteBuffer: js))
        }
        router.get("/healthz") { _, _ in "ok\n" }
    }
}
