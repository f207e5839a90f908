/// Checks JSON text (RFC 8259) and reads a top-level object's members as raw byte ranges, without
/// building objects: the direct-method path passes payloads through as they are, and
/// `JSONSerialization` (an `NSDictionary` and `NSNumber` per value, then encoding them again)
/// was a measurable part of each call.
package enum RawJSON {
    /// Nesting deeper than this is refused (the scanner recurses once per level).
    package static let maximumDepth = 512

    /// Whether `bytes` are exactly one JSON value, optionally surrounded by whitespace.
    package static func isValid(_ bytes: some Collection<UInt8>) -> Bool {
        withContiguous(bytes) { buffer in
            var scanner = Scanner(buffer)
            return scanner.document() != nil
        }
    }

    /// The members of `bytes` when they are one JSON object: each key (unescaped) and the byte
    /// range of its value within `bytes`' indices counted from 0. A repeated key keeps its last
    /// value. `nil` when `bytes` are not well-formed JSON or not an object.
    package static func objectMembers(_ bytes: some Collection<UInt8>) -> [String: Range<Int>]? {
        withContiguous(bytes) { buffer in
            var scanner = Scanner(buffer)
            guard let members = scanner.document(), let members else { return nil }
            return members
        }
    }

    /// The string a JSON string literal (with its quotes) stands for; `nil` if `bytes` are not one.
    package static func string(_ bytes: some Collection<UInt8>) -> String? {
        withContiguous(bytes) { buffer in
            var scanner = Scanner(buffer)
            guard let value = scanner.stringLiteral(), scanner.atEnd else { return nil }
            return value
        }
    }

    /// The number a JSON literal stands for: a number, or `true` as 1 and `false` as 0 (as
    /// `NSNumber` reads them); `nil` for anything else.
    package static func number(_ bytes: some Collection<UInt8>) -> Double? {
        let text = String(decoding: bytes, as: UTF8.self)
        switch text {
        case "true": return 1
        case "false": return 0
        default:
            guard isValid(bytes), let first = text.utf8.first, first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39) else {
                return nil
            }
            return Double(text)
        }
    }

    /// `value` as a JSON string literal, with quotes.
    package static func quoted(_ value: String) -> String {
        var result = "\""
        result.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        result += "\""
        return result
    }

    private static func withContiguous<R>(_ bytes: some Collection<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = bytes.withContiguousStorageIfAvailable(body) { return result }
        return Array(bytes).withUnsafeBufferPointer(body)
    }

    /// A single pass over the bytes; every method returns `nil` (and stops) at the first error.
    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        var atEnd: Bool { index == bytes.count }

        /// One value and nothing after it but whitespace: its members when it is an object
        /// (`.some(members)`), `.some(nil)` for any other value, `nil` when malformed.
        mutating func document() -> [String: Range<Int>]?? {
            skipWhitespace()
            let members: [String: Range<Int>]?
            if peek == UInt8(ascii: "{") {
                guard let object = object(depth: 1, collect: true) else { return nil }
                members = object
            } else {
                guard value(depth: 1) else { return nil }
                members = nil
            }
            skipWhitespace()
            guard atEnd else { return nil }
            guard String(validating: bytes, as: UTF8.self) != nil else { return nil }
            return .some(members)
        }

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) -> Bool {
            guard depth <= RawJSON.maximumDepth, let byte = peek else { return false }
            switch byte {
            case UInt8(ascii: "{"): return object(depth: depth, collect: false) != nil
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "\""): return skipString()
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number()
            }
        }

        /// Members are collected only for the top-level object.
        mutating func object(depth: Int, collect: Bool) -> [String: Range<Int>]? {
            index += 1
            var members: [String: Range<Int>] = [:]
            skipWhitespace()
            if peek == UInt8(ascii: "}") {
                index += 1
                return members
            }
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { return nil }
                var key: String?
                if collect {
                    guard let decoded = stringLiteral() else { return nil }
                    key = decoded
                } else {
                    guard skipString() else { return nil }
                }
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { return nil }
                index += 1
                skipWhitespace()
                let start = index
                guard value(depth: depth + 1) else { return nil }
                if let key { members[key] = start..<index }
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"):
                    index += 1
                    return members
                default: return nil
                }
            }
        }

        mutating func array(depth: Int) -> Bool {
            index += 1
            skipWhitespace()
            if peek == UInt8(ascii: "]") {
                index += 1
                return true
            }
            while true {
                skipWhitespace()
                guard value(depth: depth + 1) else { return false }
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "]"):
                    index += 1
                    return true
                default: return false
                }
            }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard bytes.count - index >= count else { return false }
            let pointer = word.utf8Start
            for offset in 0..<count where bytes[index + offset] != pointer[offset] { return false }
            index += count
            return true
        }

        mutating func digits() -> Int {
            let start = index
            while let byte = peek, byte >= 0x30, byte <= 0x39 { index += 1 }
            return index - start
        }

        mutating func number() -> Bool {
            if peek == UInt8(ascii: "-") { index += 1 }
            guard let first = peek, first >= 0x30, first <= 0x39 else { return false }
            if first == 0x30 {
                index += 1
            } else {
                _ = digits()
            }
            if peek == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { return false }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                index += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { return false }
            }
            return true
        }

        /// Skips a string literal, checking its escapes and that it holds no control characters.
        mutating func skipString() -> Bool {
            index += 1
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return true
                case UInt8(ascii: "\\"):
                    index += 1
                    guard let escaped = peek else { return false }
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                         UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        index += 1
                    case UInt8(ascii: "u"):
                        index += 1
                        guard let unit = hexQuad() else { return false }
                        // Surrogates only in pairs (I-JSON, RFC 7493 §2.1), as JSONSerialization
                        // reads them: a lone half is no character a handler could be given.
                        if (0xDC00..<0xE000).contains(unit) { return false }
                        if (0xD800..<0xDC00).contains(unit) {
                            guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"),
                                  bytes[index + 1] == UInt8(ascii: "u") else { return false }
                            index += 2
                            guard let low = hexQuad(), (0xDC00..<0xE000).contains(low) else { return false }
                        }
                    default:
                        return false
                    }
                case 0..<0x20:
                    return false
                default:
                    index += 1
                }
            }
            return false
        }

        mutating func hexQuad() -> UInt32? {
            guard bytes.count - index >= 4 else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case 0x30...0x39: digit = byte - 0x30
                case 0x41...0x46: digit = byte - 0x41 + 10
                case 0x61...0x66: digit = byte - 0x61 + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        /// Reads and unescapes a string literal.
        mutating func stringLiteral() -> String? {
            let start = index
            guard peek == UInt8(ascii: "\""), skipString() else { return nil }
            let inner = UnsafeBufferPointer(rebasing: bytes[(start + 1)..<(index - 1)])
            guard inner.contains(UInt8(ascii: "\\")) else { return String(validating: inner, as: UTF8.self) }
            var scalars = String.UnicodeScalarView()
            var utf8: [UInt8] = []
            var nested = Scanner(inner)
            func flush() -> Bool {
                guard !utf8.isEmpty else { return true }
                guard let text = String(validating: utf8, as: UTF8.self) else { return false }
                scalars.append(contentsOf: text.unicodeScalars)
                utf8.removeAll(keepingCapacity: true)
                return true
            }
            while let byte = nested.peek {
                guard byte == UInt8(ascii: "\\") else {
                    utf8.append(byte)
                    nested.index += 1
                    continue
                }
                guard flush() else { return nil }
                nested.index += 1
                guard let escaped = nested.peek else { return nil }
                nested.index += 1
                switch escaped {
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    guard let high = nested.hexQuad() else { return nil }
                    var code = high
                    if (0xD800..<0xDC00).contains(high), nested.peek == UInt8(ascii: "\\"),
                       nested.bytes.count - nested.index >= 6, nested.bytes[nested.index + 1] == UInt8(ascii: "u") {
                        let mark = nested.index
                        nested.index += 2
                        if let low = nested.hexQuad(), (0xDC00..<0xE000).contains(low) {
                            code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            nested.index = mark
                        }
                    }
                    // skipString let only paired surrogates through.
                    guard let scalar = Unicode.Scalar(code) else { return nil }
                    scalars.append(scalar)
                default: scalars.append(Unicode.Scalar(escaped))
                }
            }
            guard flush() else { return nil }
            return String(scalars)
        }
    }
}
