import ArgumentParser
import Observability

/// Parsing of the `--metrics-address` / `--health-address` options every server command has.
enum OperatorOptions {
    /// `host:port`, or nil for `off`; refused off loopback unless `allowRemote`.
    static func endpoint(_ text: String, option: String, allowRemote: Bool) throws -> OperatorEndpoint? {
        let endpoint: OperatorEndpoint?
        do { endpoint = try OperatorEndpoint.parse(text, option: option) } catch { throw ValidationError(error.message) }
        if let endpoint, let refusal = endpoint.refusal(allowRemote: allowRemote, option: option) { throw ValidationError(refusal) }
        return endpoint
    }

    /// The line a server command prints for its endpoint once it listens.
    static func line(_ server: String, host: String, port: Int?) -> String? {
        port.map { "\(server): health and metrics http://\(OperatorEndpoint(host: host, port: $0))/metrics (/healthz, /readyz)" }
    }
}
