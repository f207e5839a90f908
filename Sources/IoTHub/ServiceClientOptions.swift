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
    /// The HTTP client (default ``defaultHTTPClient``).
    public var httpClient: HTTPClient

    /// A client that gives up on a hub it cannot connect to within 3 s, so that a hub that is down
    /// is reported as such in seconds (the shared client keeps retrying for its 10-s connect
    /// timeout, and a method call used to wait out its whole deadline).
    public static let defaultHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(3)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(
        baseURL: URL? = nil,
        trustRootsPEM: String? = nil,
        sasTokenTimeToLive: Duration = .seconds(3600),
        requestTimeout: Duration = .seconds(30),
        httpClient: HTTPClient = ServiceClientOptions.defaultHTTPClient
    ) {
        self.baseURL = baseURL
        self.trustRootsPEM = trustRootsPEM
        self.sasTokenTimeToLive = sasTokenTimeToLive
        self.requestTimeout = requestTimeout
        self.httpClient = httpClient
    }
}
