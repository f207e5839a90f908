import Foundation
import Hummingbird
import Mustache

/// Renders the Mustache templates bundled with the front-end into HTML responses, and serves its
/// two static files (CSS, JS) from memory.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let stylesheet: ByteBuffer
    let script: ByteBuffer

    /// Loads the templates and static files from the module's resource bundle.
    static func load() async throws(FrontEndError) -> PageRenderer {
        // The copied folder is `Resources` inside the bundle; Foundation on Linux may already treat
        // that folder as the bundle's resource directory. Accept either layout.
        let candidates = [Bundle.module.resourceURL, Bundle.module.resourceURL?.appendingPathComponent("Resources"), Bundle.module.bundleURL.appendingPathComponent("Resources")]
        guard let base = candidates.compactMap({ $0 }).first(where: { FileManager.default.fileExists(atPath: $0.appendingPathComponent("templates/layout.mustache").path) }) else {
            throw .resourcesMissing("no templates in \(Bundle.module.bundleURL.path)")
        }
        let templates = base.appendingPathComponent("templates").path
        do {
            let library = try await MustacheLibrary(directory: templates)
            let css = try Data(contentsOf: base.appendingPathComponent("static/app.css"))
            let js = try Data(contentsOf: base.appendingPathComponent("static/app.js"))
            for name in ["layout", "login", "verify", "account", "message", "objects", "enrol", "demo-camera"] where library.getTemplate(named: name) == nil {
                throw FrontEndError.resourcesMissing("template \(name).mustache in \(templates)")
            }
            return PageRenderer(library: library, stylesheet: ByteBuffer(data: css), script: ByteBuffer(data: js))
        } catch let error as FrontEndError {
            throw error
        } catch {
            throw .resourcesMissing("\(error)")
        }
    }

    /// An HTML page from `template` and `model`.
    func page(_ template: String, _ model: Any, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let html = library.render(model, withTemplate: template) ?? "<!doctype html><title>Error</title><p>Page unavailable.</p>"
        var headers = headers
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A page with a title, one sentence and a link back to sign-in.
    func message(_ title: String, _ text: String, status: HTTPResponse.Status) -> Response {
        page("message", MessageView(title: title, text: text), status: status)
    }
}

struct MessageView {
    let title: String
    let text: String
}

extension ByteBuffer {
    init(data: Data) {
        self.init(bytes: Array(data))
    }
}
