import Foundation
import Hummingbird
import Mustache

/// Renders the Mustache templates compiled into the front-end into HTML responses, and serves its
/// two static files (CSS, JS) from memory.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let stylesheet: ByteBuffer
    let script: ByteBuffer

    /// Parses the templates compiled into the binary (``FrontEndResources``).
    static func load() async throws(FrontEndError) -> PageRenderer {
        var library = MustacheLibrary()
        for template in FrontEndResources.templates {
            do {
                try library.register(String(decoding: template.text, as: UTF8.self), named: template.name)
            } catch {
                throw .resourcesMissing("template \(template.name).mustache does not parse: \(error)")
            }
        }
        return PageRenderer(
            library: library,
            stylesheet: ByteBuffer(bytes: FrontEndResources.stylesheet),
            script: ByteBuffer(bytes: FrontEndResources.script)
        )
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
