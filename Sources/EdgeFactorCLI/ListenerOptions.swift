import ArgumentParser
import ListenerSafety

/// `--header-timeout`, `--body-timeout`, `--idle-timeout`, `--max-connections` and
/// `--allow-insecure-remote`, shared by every command that serves HTTP.
struct ListenerOptions: ParsableArguments {
    @Option(help: "Seconds a client may take to send its first request head (then 408).")
    var headerTimeout = 10

    @Option(help: "Longest pause, in seconds, between two parts of a request body (then 408).")
    var bodyTimeout = 30

    @Option(help: "Seconds a keep-alive connection may wait for its next request.")
    var idleTimeout = 30

    @Option(help: "Connections served at once; more wait until one closes.")
    var maxConnections = 512

    @Flag(help: "Allow plain HTTP or MQTT, or the development key, on an address other than loopback (only on a trusted network).")
    var allowInsecureRemote = false

    func validate() throws {
        for (name, seconds) in [("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout), ("--idle-timeout", idleTimeout)]
        where !(1...3600).contains(seconds) {
            throw ValidationError("\(name) must be 1 to 3600 seconds (got \(seconds)).")
        }
        guard (1...100_000).contains(maxConnections) else {
            throw ValidationError("--max-connections must be 1 to 100000 (got \(maxConnections)).")
        }
    }

    /// The limits these options describe.
    var limits: ListenerLimits {
        ListenerLimits(
            headerTimeout: .seconds(headerTimeout), bodyTimeout: .seconds(bodyTimeout),
            idleTimeout: .seconds(idleTimeout), maximumConnections: maxConnections
        )
    }
}
