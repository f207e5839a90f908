import EdgeFactorSupport
package import Logging

/// One line per answered request, at `info`: method, path, status, duration and, when known
/// before it is sent, the body's size.
///
/// The path is logged without its query string, always: a SAS (`sig=…`) or any other credential
/// a client puts in the query must never reach a log.
package struct AccessLog: Sendable {
    /// Where the lines go (its handler decides text or JSON).
    package let logger: Logger

    package init(logger: Logger) {
        self.logger = logger
    }

    /// The longest path logged; longer ones are cut (and end with `…`).
    static let maximumPathLength = 512

    /// Logs one request. `path` may carry a query: it is dropped here.
    package func record(method: String, path: String, status: Int, duration: Duration, bytes: Int?, operation: String?) {
        logger.info("\(method) \(Self.loggablePath(path)) \(status)", metadata: Self.metadata(duration: duration, bytes: bytes, operation: operation))
    }

    /// `path` without its query string or fragment, at most ``maximumPathLength`` characters.
    static func loggablePath(_ path: String) -> String {
        let bare = path.prefix { $0 != "?" && $0 != "#" }
        return bare.count > maximumPathLength ? String(bare.prefix(maximumPathLength)) + "…" : String(bare)
    }

    private static func metadata(duration: Duration, bytes: Int?, operation: String?) -> Logger.Metadata {
        let milliseconds = duration.inMilliseconds
        var metadata: Logger.Metadata = ["duration_ms": "\((milliseconds * 1000).rounded() / 1000)"]
        if let bytes { metadata["bytes"] = "\(bytes)" }
        if let operation { metadata["operation"] = "\(operation)" }
        return metadata
    }
}
