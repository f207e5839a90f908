/// Which listen addresses need the operator's explicit consent: anything but loopback, for a
/// listener that speaks plain HTTP or MQTT or accepts the well-known development key.
package enum BindPolicy {
    /// Whether `host` is a loopback address (`127.0.0.0/8`, `::1`, `localhost`). The wildcard
    /// addresses (`0.0.0.0`, `::`) and any other name are not.
    package static func isLoopback(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name == "localhost" || name == "::1" || name == "0:0:0:0:0:0:0:1" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else { return false }
        return octets[0] == "127"
    }

    /// Nil when `host` is loopback or the operator allowed remote use; otherwise the reason to
    /// refuse, naming what is insecure and how to proceed.
    ///
    /// - Parameters:
    ///   - host: the address the listener would bind.
    ///   - what: what would be exposed, e.g. "plain-HTTP storage with the development account key".
    ///   - allowed: the operator passed `--allow-insecure-remote`.
    package static func refusal(host: String, exposing what: String, allowed: Bool) -> String? {
        guard !allowed, !isLoopback(host) else { return nil }
        return "refusing to serve \(what) on \(host), which is not a loopback address: anyone on that network could use it. "
            + "Bind 127.0.0.1 (behind a TLS reverse proxy for remote clients), or pass --allow-insecure-remote if the network is trusted."
    }
}
