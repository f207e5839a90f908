import ArgumentParser
import Foundation

/// JSON given on the command line (`--desired '{"a":1}'`), or `@file` to read it from a file.
enum JSONArgument {
    /// The bytes of `text` (or of the file `@path`), checked to be JSON and, with `object`, a JSON
    /// object; the error names the option and what was wrong.
    static func parse(_ text: String, option: String, object: Bool = true) throws -> Data {
        let data: Data
        if text.hasPrefix("@") {
            let path = String(text.dropFirst())
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw ValidationError("\(option): cannot read \(path)")
            }
            data = contents
        } else {
            data = Data(text.utf8)
        }
        guard let value = try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed) else {
            throw ValidationError("\(option) is not valid JSON (got \(text.prefix(80))); quote it for the shell, e.g. '{\"interval\":5}'")
        }
        if object, !(value is [String: Any]) {
            throw ValidationError("\(option) must be a JSON object, e.g. '{\"interval\":5}'")
        }
        return data
    }

    /// `value` as JSON text: pretty-printed with sorted keys, or one line with `compact`.
    static func text<T: Encodable>(_ value: T, compact: Bool = false) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = compact ? [.sortedKeys, .withoutEscapingSlashes] : [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
