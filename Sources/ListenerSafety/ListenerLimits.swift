/// How long an HTTP client may take and how many connections a listener holds at once.
///
/// Every built-in listener (storage, hub REST, front-end, agent health) applies these, so a client
/// that opens connections and never finishes a request cannot hold them, and through them the
/// process's file descriptors, for ever.
public struct ListenerLimits: Sendable, Equatable {
    /// From accepting a connection until its first request head is complete. Then 408 and close.
    /// Default 10 s.
    public var headerTimeout: Duration
    /// Longest pause between two parts of a request body. Then 408 (if no answer started) and close.
    /// Default 30 s.
    public var bodyTimeout: Duration
    /// How long a keep-alive connection may wait for its next request. Then it is closed.
    /// Default 30 s.
    public var idleTimeout: Duration
    /// Connections served at once; further ones wait in the listen backlog until one closes.
    /// Default 512.
    public var maximumConnections: Int

    /// - Parameters:
    ///   - headerTimeout: time to send the first request head (at least 1 ms).
    ///   - bodyTimeout: longest pause inside a request body (at least 1 ms).
    ///   - idleTimeout: time a kept-alive connection may wait for its next request (at least 1 ms).
    ///   - maximumConnections: connections at once (at least 1).
    public init(
        headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(30),
        idleTimeout: Duration = .seconds(30), maximumConnections: Int = 512
    ) {
        let minimum = Duration.milliseconds(1)
        self.headerTimeout = max(headerTimeout, minimum)
        self.bodyTimeout = max(bodyTimeout, minimum)
        self.idleTimeout = max(idleTimeout, minimum)
        self.maximumConnections = max(1, maximumConnections)
    }
}
