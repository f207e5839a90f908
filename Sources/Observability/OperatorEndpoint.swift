import ListenerSafety

/// Where a server answers its operator: `/healthz`, `/readyz` and `/metrics` over plain HTTP, on
/// loopback unless the operator allows otherwise.
public struct OperatorEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// Address to bind (loopback by default).
    public var host: String
    /// Port to bind; 0 picks a free one (see ``OperatorServer/boundPort()``).
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port` (IPv6 hosts in brackets).
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses `host:port` (`[::1]:port` for IPv6), or `off` for none.
    ///
    /// - Parameter option: the command-line option it came from, for the error message.
    /// - Throws: ``OperatorEndpointError`` for anything else.
    public static func parse(_ text: String, option: String) throws(OperatorEndpointError) -> OperatorEndpoint? {
        guard text != "off" else { return nil }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw OperatorEndpointError("\(option) must be host:port (e.g. 127.0.0.1:9470) or 'off' (got \(text.prefix(100))).")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw OperatorEndpointError("\(option) needs a host before the port, e.g. 127.0.0.1:\(port).") }
        return OperatorEndpoint(host: host, port: port)
    }

    /// Nil when the endpoint may be served: on loopback, or with the operator's consent
    /// (`--allow-insecure-remote`). Otherwise the reason to refuse, naming the fix.
    public func refusal(allowRemote: Bool, option: String) -> String? {
        BindPolicy.refusal(host: host, exposing: "the plain-HTTP metrics and health endpoints (\(option))", allowed: allowRemote)
    }
}

/// An operator endpoint that cannot be used as written; the message says how to fix it.
public struct OperatorEndpointError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
