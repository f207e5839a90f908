/// A Prometheus text exposition (format 0.0.4), parsed strictly: every line is `# HELP`, `# TYPE`
/// or a sample `name{label="value",...} value`, and every sample's family has its HELP and TYPE
/// before it. Anything else is an error naming the line.
public struct PrometheusText: Sendable {
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    public private(set) var samples: [Sample] = []
    /// Family name → its HELP text.
    public private(set) var help: [String: String] = [:]
    /// Family name → counter, gauge, histogram, summary or untyped.
    public private(set) var types: [String: String] = [:]

    public init(parsing text: String) throws {
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            if line.isEmpty { continue }
            let fail = { (why: String) in ParseError(description: "line \(index + 1) (\(line.prefix(200))): \(why)") }
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                guard let space = rest.firstIndex(of: " ") else { throw fail("HELP without text") }
                let name = String(rest[..<space])
                guard Self.isMetricName(name) else { throw fail("bad metric name") }
                help[name] = String(rest[rest.index(after: space)...])
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2, Self.isMetricName(String(parts[0])),
                      ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[1]) else { throw fail("bad TYPE line") }
                types[String(parts[0])] = String(parts[1])
            } else if line.hasPrefix("#") {
                throw fail("a comment that is neither HELP nor TYPE")
            } else {
                let sample = try Self.sample(line, fail: fail)
                let family = family(of: sample.name)
                guard types[family] != nil else { throw fail("sample before its family's TYPE") }
                guard help[family] != nil else { throw fail("sample without its family's HELP") }
                samples.append(sample)
            }
        }
    }

    /// The family a sample belongs to: a histogram's `_bucket`, `_sum` and `_count` are its own.
    public func family(of name: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if types[base] == "histogram" || types[base] == "summary" { return base }
        }
        return name
    }

    /// The value of the sample named `name` whose labels are exactly `labels`; nil if none.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// The sum over every sample named `name` whose labels include `labels`.
    public func sum(_ name: String, where labels: [String: String] = [:]) -> Double {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }.reduce(0) { $0 + $1.value }
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic || first == "_" || first == ":" else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == ":") }
    }

    private static func sample(_ line: String, fail: (String) -> ParseError) throws -> Sample {
        var scalars = Substring(line)
        let name = String(scalars.prefix { $0 != "{" && $0 != " " })
        guard isMetricName(name) else { throw fail("bad metric name") }
        scalars = scalars.dropFirst(name.count)
        var labels: [String: String] = [:]
        if scalars.first == "{" {
            scalars = scalars.dropFirst()
            while scalars.first != "}" {
                let key = String(scalars.prefix { $0 != "=" })
                guard isMetricName(key), !key.contains(":") else { throw fail("bad label name") }
                scalars = scalars.dropFirst(key.count)
                guard scalars.hasPrefix("=\"") else { throw fail("label \(key) without =\"value\"") }
                scalars = scalars.dropFirst(2)
                var value = ""
                while true {
                    guard let character = scalars.first else { throw fail("unterminated label value") }
                    scalars = scalars.dropFirst()
                    if character == "\"" { break }
                    if character == "\\" {
                        guard let escaped = scalars.first else { throw fail("dangling escape") }
                        scalars = scalars.dropFirst()
                        switch escaped {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw fail("bad escape \\\(escaped)")
                        }
                    } else {
                        value.append(character)
                    }
                }
                guard labels.updateValue(value, forKey: key) == nil else { throw fail("label \(key) twice") }
                if scalars.first == "," { scalars = scalars.dropFirst() } else if scalars.first != "}" { throw fail("expected , or }") }
            }
            scalars = scalars.dropFirst()
        }
        guard scalars.first == " " else { throw fail("no space before the value") }
        let parts = scalars.dropFirst().split(separator: " ")
        guard (1...2).contains(parts.count), let value = Self.number(parts[0]) else { throw fail("bad value") }
        if parts.count == 2, Int64(parts[1]) == nil { throw fail("bad timestamp") }
        return Sample(name: name, labels: labels, value: value)
    }

    private static func number(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }
}

extension RawHTTP {
    /// GETs `path` on `127.0.0.1:port` and returns the status and the body (after the head).
    public static func get(port: Int, _ path: String) async throws -> (status: Int, body: String) {
        let response = try await exchange(port: port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        guard let end = response.text.firstRange(of: "\r\n\r\n") else { return (response.status, "") }
        return (response.status, String(response.text[end.upperBound...]))
    }
}
