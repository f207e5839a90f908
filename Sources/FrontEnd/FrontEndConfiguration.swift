package import EdgeFactorSupport
public import Foundation
public import ListenerSafety
public import Observability

/// How the front-end listens, protects sessions and runs the second factor.
public struct FrontEndConfiguration: Sendable {
    /// Address to bind; loopback by default.
    var host: String
    /// Port to bind; 0 picks a free one (reported through `onListening`).
    var port: Int
    /// Set when browsers reach the front-end over HTTPS (TLS here or at a reverse proxy):
    /// cookies get `Secure` and the `__Host-` prefix, and HSTS is sent.
    var behindTLS: Bool
    /// Take the client address from the last `X-Forwarded-For` hop (only behind a trusted proxy).
    var trustForwardedFor: Bool
    var throttle: ThrottlePolicy
    var verification: VerificationSettings
    /// Personal objects: enrolment and the similarity a challenge needs.
    var objects: ObjectSettings
    /// Sessions end after this long without a request.
    var sessionIdleTimeout: TimeInterval
    /// Sessions end this long after they started, whatever happens.
    var sessionAbsoluteTimeout: TimeInterval
    /// bcrypt cost for hashes the server creates (12; tests use 4).
    var bcryptCost: UInt8
    /// Header, body and idle timeouts and the connection bound of the listener.
    var listenerLimits: ListenerLimits
    /// Listen on a non-loopback ``host`` without ``behindTLS``, i.e. sign-ins over plain HTTP.
    /// Off: such a configuration is refused at start.
    var allowInsecureRemote: Bool
    /// Serve `/healthz`, `/readyz` and `/metrics` here (plain HTTP; off loopback only with
    /// ``allowInsecureRemote``); nil for none. `edgefactor frontend serve` uses 127.0.0.1:9472.
    public var metricsEndpoint: OperatorEndpoint? = nil
    /// Write one access-log line per request at `info` (never the query string).
    public var accessLog = false
    /// The time the sign-in throttles measure waits and lockouts against (tests move their own).
    package var clock: any WallClock = SystemWallClock()

    public init(
        host: String = "127.0.0.1", port: Int = 8080, behindTLS: Bool = false, trustForwardedFor: Bool = false,
        throttle: ThrottlePolicy = ThrottlePolicy(), verification: VerificationSettings = VerificationSettings(),
        objects: ObjectSettings = ObjectSettings(),
        sessionIdleTimeout: TimeInterval = 30 * 60, sessionAbsoluteTimeout: TimeInterval = 12 * 3600, bcryptCost: UInt8 = 12,
        listenerLimits: ListenerLimits = ListenerLimits(), allowInsecureRemote: Bool = false
    ) {
        self.host = host
        self.port = port
        self.behindTLS = behindTLS
        self.trustForwardedFor = trustForwardedFor
        self.throttle = throttle
        self.verification = verification
        self.objects = objects
        self.sessionIdleTimeout = sessionIdleTimeout
        self.sessionAbsoluteTimeout = sessionAbsoluteTimeout
        self.bcryptCost = bcryptCost
        self.listenerLimits = listenerLimits
        self.allowInsecureRemote = allowInsecureRemote
    }
}
