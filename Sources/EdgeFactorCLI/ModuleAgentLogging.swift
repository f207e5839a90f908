import ArgumentParser
import Foundation
import Logging

/// Log options shared by the long-running commands (`storage`, `hub`, `frontend`, `module`,
/// `agent`): text for people, JSON lines (one object per event, metadata as fields) for log
/// collectors. Either goes to standard error.
struct EdgeLogOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Option(help: "Log format: text or json (one JSON object per line).")
    var logFormat = "text"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical.")
        }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format must be text or json.") }
    }

    /// Installs the chosen handler for the whole process and returns a logger.
    func bootstrap(label: String) -> Logger {
        Self.bootstrap(label: label, level: Logger.Level(rawValue: logLevel) ?? .info, json: logFormat == "json")
    }

    /// Installs a text or JSON handler at `level` for the whole process and returns a logger.
    static func bootstrap(label: String, level: Logger.Level, json: Bool) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }
}

/// One JSON object per log event on standard error: `time`, `level`, `label`, `message`, then the
/// metadata. (Hand-written: swift-log ships only a text handler, and this is forty lines.)
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: Any] = [
            "time": Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)),
            "level": event.level.rawValue,
            "label": label,
            "message": "\(event.message)",
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            object[key] = Self.plain(value)
        }
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        line.append(UInt8(ascii: "\n"))
        FileHandle.standardError.write(line)
    }

    private static func plain(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let value): value.description
        case .array(let values): values.map(plain)
        case .dictionary(let values): values.mapValues(plain)
        }
    }
}
