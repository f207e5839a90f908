import Foundation
import Hummingbird

/// The session cookie: `HttpOnly`, `SameSite=Lax`, `Path=/`, and `Secure` with the `__Host-`
/// prefix when the front-end is served over TLS (directly or behind a TLS-terminating proxy).
struct SessionCookies: Sendable {
    let store: SessionStore
    let secure: Bool

    var name: String { secure ? "__Host-edgefactor" : "edgefactor_session" }

    /// The live session named by the request's cookie.
    func load(_ request: Request) async -> (token: String, session: WebSession)? {
        guard let token = request.cookies[name]?.value, !token.isEmpty else { return nil }
        guard let session = await store.session(forToken: token) else { return nil }
        return (token, session)
    }

    /// The live session, or a new anonymous one (the caller must send its cookie).
    func loadOrCreate(_ request: Request) async -> (session: WebSession, newToken: String?) {
        if let existing = await load(request) { return (existing.session, nil) }
        let created = await store.create()
        return (created.session, created.token)
    }

    func cookie(_ token: String) -> Cookie {
        // The token is base64url, which is valid cookie text; `validated` cannot fail here, and the
        // fallback keeps the same attributes.
        (try? Cookie.validated(name: name, value: token, path: "/", secure: secure, httpOnly: true, sameSite: .lax))
            ?? Cookie(name: name, value: token, path: "/", secure: secure, httpOnly: true)
    }

    func expiredCookie() -> Cookie {
        (try? Cookie.validated(name: name, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .lax))
            ?? Cookie(name: name, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true)
    }
}

extension Response {
    /// A 303 redirect (after a POST, the browser GETs the target).
    static func seeOther(_ location: String, cookie: Cookie? = nil) -> Response {
        var response = Response(status: .seeOther, headers: [.location: location])
        if let cookie { response.setCookie(cookie) }
        return response
    }
}
