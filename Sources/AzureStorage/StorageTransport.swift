import AsyncHTTPClient
import EdgeFactorSupport
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// One request to a storage service, before signing.
struct StorageRequest: Sendable {
    var method: HTTPMethod
    /// Path below the service endpoint, percent-encoded, starting with `/`.
    var path: String
    /// Query parameters, not yet encoded.
    var query: [(String, String)] = []
    /// Extra headers (names in lower case).
    var headers: [(String, String)] = []
    var body: ByteBuffer?
    /// A body streamed from elsewhere instead of `body` (large uploads), with its length.
    var streamedBody: (body: HTTPClientRequest.Body, length: Int)?
    /// Statuses that mean success.
    var expected: Set<Int>
}

/// A collected response.
struct StorageResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: ByteBuffer
}

/// Signs, sends and retries storage requests; turns failures into ``StorageError``.
final class StorageTransport: Sendable {
    /// The REST version this client speaks (any service version since 2017-07-29 would do).
    static let apiVersion = "2024-11-04"
    /// Largest response body collected in memory by default.
    static let defaultResponseLimit = 8 * 1024 * 1024

    let endpoint: URL
    let basePath: String
    let baseURL: String
    let accountName: String
    let credential: StorageConnectionString.Credential
    let httpClient: HTTPClient
    let retry: RetryPolicy
    let isHTTPS: Bool

    init(endpoint: URL, connection: StorageConnectionString, httpClient: HTTPClient, retry: RetryPolicy) {
        self.endpoint = endpoint
        let components = URLComponents(url: endpoint, resolvingAgainstBaseURL: false)
        var path = components?.percentEncodedPath ?? ""
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
        var base = endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.accountName = connection.accountName
        self.credential = connection.credential
        let https = endpoint.scheme?.lowercased() == "https"
        self.isHTTPS = https
        // https goes through StorageTrust's client, which reports an untrusted certificate at once.
        self.httpClient = https && httpClient === HTTPClient.shared ? StorageTrust.httpsClient : httpClient
        self.retry = retry
    }

    /// The full URL for a path below the endpoint (no SAS).
    func url(path: String, query: [(String, String)] = []) -> String {
        var text = baseURL + path
        let encoded = encodedQuery(query)
        if !encoded.isEmpty { text += "?" + encoded }
        return text
    }

    func encodedQuery(_ query: [(String, String)]) -> String {
        var parts = query.map { "\(PercentEncoding.encode($0.0))=\(PercentEncoding.encode($0.1))" }
        if case .sharedAccessSignature(let sas) = credential { parts.append(sas) }
        return parts.joined(separator: "&")
    }

    /// Sends with retries and collects the body (up to `limit` bytes).
    func send(_ request: StorageRequest, limit: Int = defaultResponseLimit) async throws(StorageError) -> StorageResponse {
        try await withRetries { deadline throws(StorageError) in
            let response = try await self.execute(request, deadline: deadline)
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: limit)
            } catch {
                throw self.transportError(error, request: request)
            }
            let result = StorageResponse(status: Int(response.status.code), headers: response.headers, body: body)
            guard request.expected.contains(result.status) else {
                throw Self.serviceError(result, method: request.method)
            }
            return result
        }
    }

    /// Sends with retries up to the response head and hands the streaming response over.
    func open(_ request: StorageRequest) async throws(StorageError) -> HTTPClientResponse {
        try await withRetries { deadline throws(StorageError) in
            let response = try await self.execute(request, deadline: deadline)
            let status = Int(response.status.code)
            guard request.expected.contains(status) else {
                let body = (try? await response.body.collect(upTo: 64 * 1024)) ?? ByteBuffer()
                throw Self.serviceError(StorageResponse(status: status, headers: response.headers, body: body), method: request.method)
            }
            return response
        }
    }

    private func withRetries<T>(
        _ attempt: (NIODeadline) async throws(StorageError) -> T
    ) async throws(StorageError) -> T {
        let clock = ContinuousClock()
        let callDeadline = clock.now + retry.callTimeout
        var tries = 0
        while true {
            tries += 1
            let remaining = clock.now.duration(to: callDeadline)
            let budget = min(remaining, retry.attemptTimeout)
            let deadline = NIODeadline.now() + max(TimeAmount(budget), .nanoseconds(1))
            do {
                return try await attempt(deadline)
            } catch {
                let retryable = error.status == 0 ? (error.code == .timeout || error.code == .connectionFailed) : RetryPolicy.isRetryable(status: error.status)
                guard retryable, tries < retry.maximumAttempts else { throw error }
                let wait = retry.delay(beforeRetry: tries)
                guard clock.now + wait < callDeadline else { throw error }
                do {
                    try await Task.sleep(for: wait)
                } catch {
                    throw StorageError(status: 0, code: .cancelled, message: "the call was cancelled while waiting to retry.")
                }
            }
        }
    }

    private func execute(_ request: StorageRequest, deadline: NIODeadline) async throws(StorageError) -> HTTPClientResponse {
        var http = HTTPClientRequest(url: url(path: request.path, query: request.query))
        http.method = request.method
        if isHTTPS, let tls = StorageTrust.tlsConfiguration { http.tlsConfiguration = tls }
        var headers: [(String, String)] = request.headers
        headers.append(("x-ms-version", Self.apiVersion))
        headers.append(("x-ms-date", StorageDate.rfc1123(Date())))
        headers.append(("x-ms-client-request-id", SequentialIdentifier.next()))
        if let body = request.body {
            http.body = .bytes(body)
        } else if let streamed = request.streamedBody {
            http.body = streamed.body
        }
        if case .sharedKey(let key) = credential {
            let contentLength = request.body.map { String($0.readableBytes) } ?? request.streamedBody.map { String($0.length) }
            let queryText = encodedQuery(request.query)
            let stringToSign = SharedKeyStringToSign.make(
                method: request.method.rawValue,
                header: { name in
                    if name == "content-length" { return contentLength }
                    return headers.first { $0.0 == name }?.1
                },
                msHeaders: headers.filter { $0.0.hasPrefix("x-ms-") }.map { (name: $0.0, value: $0.1) },
                accountName: key.accountName,
                path: basePath + request.path,
                query: queryText.isEmpty ? nil : queryText
            )
            headers.append(("Authorization", "SharedKey \(key.accountName):\(key.signature(for: stringToSign))"))
        }
        for (name, value) in headers { http.headers.add(name: name, value: value) }
        do {
            return try await httpClient.execute(http, deadline: deadline)
        } catch {
            throw transportError(error, request: request)
        }
    }

    func transportError(_ error: any Error, request: StorageRequest) -> StorageError {
        if error is NIOTooManyBytesError {
            return StorageError(status: 0, code: .responseTooLarge, message: "the response from \(baseURL) is larger than this call accepts; use download(to:) for large blobs.")
        }
        if error is CancellationError {
            return StorageError(status: 0, code: .cancelled, message: "the call was cancelled.")
        }
        if let tlsFailure = Self.tlsFailure(error) {
            return StorageError(
                status: 0, code: .tlsFailed,
                message: "the TLS handshake with \(baseURL) failed (\(tlsFailure)): if its certificate is from a private or development CA, trust that CA (StorageTrust.add(caFile:); edgefactor's --storage-ca-file, the built-in storage's is certs/ca.pem in the hub's data directory); check that the endpoint's host name is one the certificate covers."
            )
        }
        if let httpError = error as? HTTPClientError {
            if httpError == .deadlineExceeded || httpError == .readTimeout || httpError == .connectTimeout {
                return StorageError(
                    status: 0, code: .timeout,
                    message: "\(request.method.rawValue) \(baseURL) did not answer in time; check that the storage service is running and reachable, or raise RetryPolicy.attemptTimeout."
                )
            }
            if httpError == .cancelled {
                return StorageError(status: 0, code: .cancelled, message: "the call was cancelled.")
            }
        }
        return StorageError(
            status: 0, code: .connectionFailed,
            message: "could not reach \(baseURL) (\(error)); check that the storage service is running and that the endpoint in the connection string is right."
        )
    }

    /// What a failed TLS handshake said, or nil when `error` is not one.
    static func tlsFailure(_ error: any Error) -> String? {
        switch error {
        case let ssl as NIOSSLError:
            // Other NIOSSL errors (an unclean shutdown mid-body) are transport failures to retry.
            if case .handshakeFailed(let inner) = ssl { return "\(inner)" }
            return nil
        case let boring as BoringSSLError: return "\(boring)"
        case let extra as NIOSSLExtraError: return "\(extra)"
        default: return nil
        }
    }

    /// Reads the error code from `x-ms-error-code` first, then from the XML body.
    static func serviceError(_ response: StorageResponse, method: HTTPMethod) -> StorageError {
        var code = response.headers.first(name: "x-ms-error-code")
        var message: String?
        if response.body.readableBytes > 0, let root = try? StorageXMLReader.parse(response.body.readableBytesView) {
            if code == nil { code = root.childText("Code") }
            message = root.childText("Message")?.split(separator: "\n").first.map(String.init)
        }
        let errorCode = code.map(StorageErrorCode.init(rawValue:))
        var text = message ?? "\(method.rawValue) failed with HTTP \(response.status)."
        if let hint = StorageError.hint(for: errorCode) { text += " " + hint }
        return StorageError(status: response.status, code: errorCode, message: text, requestId: response.headers.first(name: "x-ms-request-id"))
    }
}
