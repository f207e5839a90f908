import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization

/// A minimal browser over a HummingbirdTesting client: keeps the session cookie, pulls the CSRF
/// token out of the last page, and submits forms. Sendable so that several can sign in at once
/// from a task group; each keeps its state behind a lock.
final class BrowserSession: Sendable {
    let client: any TestClientProtocol

    private struct State {
        var cookies: [String: String] = [:]
        var lastBody = ""
        var extraHeaders: HTTPFields = [:]
        var csrf: String?
    }

    private let state = Mutex(State())

    init(_ client: any TestClientProtocol) {
        self.client = client
    }

    var cookies: [String: String] {
        get { state.withLock { $0.cookies } }
        set { state.withLock { $0.cookies = newValue } }
    }

    var lastBody: String { state.withLock { $0.lastBody } }

    /// Headers sent with every request (a forwarded address, say).
    var extraHeaders: HTTPFields {
        get { state.withLock { $0.extraHeaders } }
        set { state.withLock { $0.extraHeaders = newValue } }
    }

    /// The CSRF token of the last page that had a form.
    var csrf: String? { state.withLock { $0.csrf } }

    private static func token(in body: String) -> String? {
        guard let range = body.range(of: #"name="csrf" value=""#) else { return nil }
        let rest = body[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    @discardableResult
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await send(uri, method: .get, headers: headers, body: nil)
    }

    @discardableResult
    func post(_ uri: String, form: [String: String], headers: HTTPFields = [:]) async throws -> TestResponse {
        let body = form.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }.joined(separator: "&")
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await send(uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    func send(_ uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        let (extraHeaders, cookies) = state.withLock { ($0.extraHeaders, $0.cookies) }
        headers.append(contentsOf: extraHeaders)
        if !cookies.isEmpty {
            headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
        let page = String(buffer: response.body)
        state.withLock { state in
            for line in response.headers[values: .setCookie] {
                let pair = line.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1)
                let name = String(pair[0])
                let value = pair.count > 1 ? String(pair[1]) : ""
                if value.isEmpty || line.contains("Max-Age=0") { state.cookies[name] = nil } else { state.cookies[name] = value }
            }
            state.lastBody = page
            if let token = Self.token(in: page) { state.csrf = token }
        }
        return response
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
