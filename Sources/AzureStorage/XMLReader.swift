/// A small, bounded XML parser for the storage protocols' request and response bodies.
///
/// Hand-written on purpose: the bodies are tiny documents without namespaces or DTDs, it must be
/// safe on hostile input (no entity expansion beyond the five predefined ones and character
/// references, no DOCTYPE, bounded depth and size), fast on the queue hot path, and produce
/// `Sendable` values; FoundationXML's delegate parser is none of these on Linux.
package enum StorageXMLReader {
    /// Deepest element nesting accepted.
    package static let maximumDepth = 32
    /// Most elements accepted in one document.
    package static let maximumElements = 200_000

    /// Parses a whole document and returns its root element.
    package static func parse(_ bytes: some Collection<UInt8>) throws(StorageXMLError) -> StorageXMLElement {
        var parser = Parser(bytes: Array(bytes))
        return try parser.document()
    }

    /// Parses UTF-8 text.
    package static func parse(_ text: String) throws(StorageXMLError) -> StorageXMLElement {
        try parse(Array(text.utf8))
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        var elementCount = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        func fail(_ message: String) -> StorageXMLError {
            StorageXMLError(message: message, offset: index)
        }

        var atEnd: Bool { index >= bytes.count }

        func peek(_ literal: String) -> Bool {
            let utf8 = Array(literal.utf8)
            guard index + utf8.count <= bytes.count else { return false }
            return bytes[index..<(index + utf8.count)].elementsEqual(utf8)
        }

        mutating func skipWhitespace() {
            while index < bytes.count, isSpace(bytes[index]) { index += 1 }
        }

        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

        mutating func skip(past terminator: String) throws(StorageXMLError) {
            let utf8 = Array(terminator.utf8)
            while index + utf8.count <= bytes.count {
                if bytes[index..<(index + utf8.count)].elementsEqual(utf8) {
                    index += utf8.count
                    return
                }
                index += 1
            }
            throw fail("unterminated construct: expected '\(terminator)'")
        }

        /// Skips the BOM, declaration, comments, processing instructions and whitespace.
        mutating func skipMisc() throws(StorageXMLError) {
            while true {
                skipWhitespace()
                if peek("<?") {
                    try skip(past: "?>")
                } else if peek("<!--") {
                    try skip(past: "-->")
                } else if peek("<!") {
                    throw fail("DOCTYPE and other declarations are not accepted")
                } else {
                    return
                }
            }
        }

        mutating func document() throws(StorageXMLError) -> StorageXMLElement {
            if peek("\u{FEFF}") { index += 3 }
            try skipMisc()
            guard !atEnd, bytes[index] == 0x3C else { throw fail("expected a root element") }
            let root = try element(depth: 1)
            try skipMisc()
            guard atEnd else { throw fail("unexpected content after the root element") }
            return root
        }

        mutating func name() throws(StorageXMLError) -> String {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if isSpace(byte) || byte == 0x3E || byte == 0x2F || byte == 0x3D || byte == 0x3C { break }
                index += 1
            }
            guard index > start, index - start <= 256 else { throw fail("expected a name of 1 to 256 bytes") }
            guard let text = String(validating: bytes[start..<index], as: UTF8.self) else { throw fail("name is not UTF-8") }
            let first = bytes[start]
            // Bytes, not Characters: these are ASCII, and names are read for every element.
            guard first != 0x2D, first != 0x2E, !(first >= 0x30 && first <= 0x39),
                  !bytes[start..<index].contains(where: { $0 == 0x22 || $0 == 0x27 || $0 == 0x26 || $0 == 0x21 || $0 == 0x3F })
            else { throw fail("'\(text)' is not a valid XML name") }
            return text
        }

        mutating func element(depth: Int) throws(StorageXMLError) -> StorageXMLElement {
            guard depth <= maximumDepth else { throw fail("elements nested deeper than \(maximumDepth)") }
            elementCount += 1
            guard elementCount <= maximumElements else { throw fail("more than \(maximumElements) elements") }
            index += 1  // <
            var node = StorageXMLElement(name: try name())
            // Attributes.
            while true {
                skipWhitespace()
                guard !atEnd else { throw fail("unterminated start tag <\(node.name)>") }
                if bytes[index] == 0x2F {  // />
                    guard index + 1 < bytes.count, bytes[index + 1] == 0x3E else { throw fail("expected '>' after '/'") }
                    index += 2
                    return node
                }
                if bytes[index] == 0x3E {
                    index += 1
                    break
                }
                let attribute = try name()
                skipWhitespace()
                guard !atEnd, bytes[index] == 0x3D else { throw fail("expected '=' after attribute \(attribute)") }
                index += 1
                skipWhitespace()
                guard !atEnd, bytes[index] == 0x22 || bytes[index] == 0x27 else { throw fail("attribute value must be quoted") }
                let quote = bytes[index]
                index += 1
                let start = index
                while index < bytes.count, bytes[index] != quote {
                    guard bytes[index] != 0x3C else { throw fail("'<' inside an attribute value") }
                    index += 1
                }
                guard !atEnd else { throw fail("unterminated attribute value") }
                let value = try decodeText(start..<index)
                index += 1
                guard node.attributes[attribute] == nil else { throw fail("duplicate attribute \(attribute)") }
                node.attributes[attribute] = value
            }
            // Content.
            var text = ""
            while true {
                guard !atEnd else { throw fail("missing end tag </\(node.name)>") }
                if bytes[index] == 0x3C {
                    if peek("</") {
                        index += 2
                        let closing = try name()
                        guard closing == node.name else { throw fail("end tag </\(closing)> does not match <\(node.name)>") }
                        skipWhitespace()
                        guard !atEnd, bytes[index] == 0x3E else { throw fail("expected '>' in end tag") }
                        index += 1
                        node.text = text
                        return node
                    } else if peek("<!--") {
                        try skip(past: "-->")
                    } else if peek("<![CDATA[") {
                        index += 9
                        let start = index
                        try skip(past: "]]>")
                        guard let chunk = String(validating: bytes[start..<(index - 3)], as: UTF8.self) else {
                            throw fail("CDATA is not UTF-8")
                        }
                        text += chunk
                    } else if peek("<?") {
                        try skip(past: "?>")
                    } else if peek("<!") {
                        throw fail("declarations are not accepted inside elements")
                    } else {
                        node.children.append(try element(depth: depth + 1))
                    }
                } else {
                    let start = index
                    while index < bytes.count, bytes[index] != 0x3C { index += 1 }
                    text += try decodeText(start..<index)
                }
            }
        }

        /// Decodes character data: the five predefined entities and numeric references.
        func decodeText(_ range: Range<Int>) throws(StorageXMLError) -> String {
            let slice = bytes[range]
            guard slice.contains(0x26) else {
                guard let text = String(validating: slice, as: UTF8.self) else {
                    throw StorageXMLError(message: "text is not UTF-8", offset: range.lowerBound)
                }
                return text
            }
            var out = [UInt8]()
            out.reserveCapacity(slice.count)
            var position = range.lowerBound
            while position < range.upperBound {
                let byte = bytes[position]
                guard byte == 0x26 else {
                    out.append(byte)
                    position += 1
                    continue
                }
                var end = position + 1
                while end < range.upperBound, bytes[end] != 0x3B, end - position < 12 { end += 1 }
                guard end < range.upperBound, bytes[end] == 0x3B else {
                    throw StorageXMLError(message: "unterminated entity reference", offset: position)
                }
                let entity = String(decoding: bytes[(position + 1)..<end], as: UTF8.self)
                switch entity {
                case "lt": out.append(0x3C)
                case "gt": out.append(0x3E)
                case "amp": out.append(0x26)
                case "quot": out.append(0x22)
                case "apos": out.append(0x27)
                default:
                    var scalarValue: UInt32?
                    if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                        scalarValue = UInt32(entity.dropFirst(2), radix: 16)
                    } else if entity.hasPrefix("#") {
                        scalarValue = UInt32(entity.dropFirst(), radix: 10)
                    }
                    guard let value = scalarValue, let scalar = Unicode.Scalar(value), value != 0 else {
                        throw StorageXMLError(message: "unknown entity &\(entity);", offset: position)
                    }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                }
                position = end + 1
            }
            guard let text = String(validating: out, as: UTF8.self) else {
                throw StorageXMLError(message: "text is not UTF-8", offset: range.lowerBound)
            }
            return text
        }
    }
}
