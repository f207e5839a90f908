import HTTPTypes
import Hummingbird

/// Adds the security headers every response needs, and refuses cross-site form posts.
///
/// - CSP: only our own scripts, styles, images and connections; no framing; forms post only to us.
/// - `X-Frame-Options: DENY` for browsers that predate `frame-ancestors`.
/// - `Referrer-Policy: same-origin`: request ids in URLs never leak to other sites (`no-referrer`
///   would make browsers send `Origin: null` on our own form posts).
/// - `Cache-Control: no-store` unless a route chose otherwise (static files): pages show personal data.
/// - HSTS when served behind TLS.
/// - POST/PUT/DELETE whose `Origin` is not this host, or that a browser marks `Sec-Fetch-Site:
///   cross-site`, are refused before any handler runs (CSRF defence in depth, beside the tokens).
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    let behindTLS: Bool

    static var contentSecurityPolicy: String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        if request.method != .get, request.method != .head, !isSameOrigin(request) {
            response = Response(status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "Cross-site request refused.\n")))
        } else {
            response = try await next(request, context)
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers.set("X-Frame-Options", "DENY")
        response.headers.set("Referrer-Policy", "same-origin")
        response.headers.set("Cross-Origin-Opener-Policy", "same-origin")
        response.headers[.crossOriginResourcePolicy] = "same-origin"
        response.headers.set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if response.headers[.cacheControl] == nil {
            response.headers[.cacheControl] = "no-store"
        }
        if behindTLS {
            response.headers[.strictTransportSecurity] = "max-age=31536000"
        }
        return response
    }

    private func isSameOrigin(_ request: Request) -> Bool {
        if request.headers.value(of: "Sec-Fetch-Site") == "cross-site" { return false }
        guard let origin = request.headers[.origin] else { return true }  // non-browser clients
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }
}

extension HTTPFields {
    /// Sets a header by name; names are literals in this module, so an invalid one is a bug that
    /// only drops the header (no crash in production).
    mutating func set(_ name: String, _ value: String) {
        guard let name = HTTPField.Name(name) else { return }
        self[name] = value
    }

    /// The value of a header given by name.
    func value(of name: String) -> String? {
        HTTPField.Name(name).flatMap { self[$0] }
    }
}
