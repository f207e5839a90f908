import Foundation

/// What the demo prints once the front-end listens: where to go, how to sign in, and how to reach
/// each built-in service with other tools.
struct DemoBanner: Sendable {
    let host: String
    let credentials: DemoAccount
    let className: String
    let camera: String
    let storageConnectionString: String
    let hubServiceConnectionString: String
    let caFile: String
    let dataDir: String

    /// - Parameter metrics: each part's name and the port of its `/healthz`, `/readyz` and `/metrics`.
    func print(port: Int, metrics: [(name: String, port: Int)] = []) {
        let url = "http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(port)/"
        var lines = [
            "",
            "EdgeFactor demo is running.",
            "",
            "  Open       \(url)",
            "  Sign in    user \(credentials.username)   password \(credentials.password)",
            "  Then show  \(className) to the camera (\(camera))",
            "",
            "  Storage    \(storageConnectionString)",
            "  Hub        \(hubServiceConnectionString)",
            "  CA         \(caFile) (trusts the hub and the storage)",
        ]
        if !metrics.isEmpty {
            let endpoints = metrics.map { "\($0.name) \($0.port)" }.joined(separator: ", ")
            lines.append("  Metrics    http://127.0.0.1:PORT/metrics (and /healthz, /readyz): \(endpoints)")
        }
        lines += ["  State      \(dataDir)", "", "Press Ctrl-C to stop.", ""]
        // Unbuffered, in one write: scripts and tests wait for the "Open" line.
        FileHandle.standardOutput.write(Data(lines.joined(separator: "\n").utf8))
    }
}
