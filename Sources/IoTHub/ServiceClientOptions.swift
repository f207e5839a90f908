public import AsyncHTTPClient
public import Foundation

/// How a ``ServiceClient`` reaches the hub's service API.
public struct ServiceClientOptions: Sendable {
    /// Base URL instead of `https://{HostName}` (e.g. `http://127.0.0.1:8080` for a plain loopback hub).
    public var baseURL: URL?
    /// PEM text of the CA certificates to trust (the built-in hub's `caCertificatePEM`); `nil` uses
    /// the system trust store.
    public var trustRootsPEM: String?
    /// Lifetime of each service SAS token.
    public var sasTokenTimeToLive: Duration
    /// Time limit of registry and twin calls (method calls derive theirs from the method timeouts).
    public var requestTimeout: Duration
    public var httpClient: HTTPClient

    public init(
        baseURL: URL? = nil,
        trustRootsPEM: String? = nil,
        sasTokenTimeToLive: Duration = .seconds(3600),
        requestTimeout: Duration = .seconds(30),
        httpClient: HTTPClient = .shared
    ) {
        self.baseURL = baseURL
        self.trustRootsPEM = trustRootsPEM
        self.sasTokenTimeToLive = sasTokenTimeToLive
        self.requestTimeout = requestTimeout
        self.httpClient = httpClient
    }
}
