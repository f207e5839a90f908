/// Builds the XML bodies of the storage protocols. Escapes text and attribute values.
package struct StorageXMLWriter: Sendable {
    public private(set) var text: String

    /// Starts a document with the UTF-8 declaration.
    package init(declaration: Bool = true) {
        text = declaration ? "<?xml version=\"1.0\" encoding=\"utf-8\"?>" : ""
    }

    package mutating func open(_ name: String, attributes: [(String, String)] = []) {
        text.append("<")
        text.append(name)
        for (key, value) in attributes {
            text.append(" ")
            text.append(key)
            text.append("=\"")
            text.append(Self.escape(value))
            text.append("\"")
        }
        text.append(">")
    }

    package mutating func close(_ name: String) {
        text.append("</")
        text.append(name)
        text.append(">")
    }

    /// `<name>escaped value</name>`, or `<name />` when the value is empty.
    package mutating func element(_ name: String, _ value: String) {
        if value.isEmpty {
            text.append("<\(name) />")
            return
        }
        open(name)
        text.append(Self.escape(value))
        close(name)
    }

    package mutating func empty(_ name: String) {
        text.append("<\(name) />")
    }

    /// Escapes `&`, `<`, `>`, `"`, `'`, and writes carriage returns as `&#xD;` so they survive parsing.
    package static func escape(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 || $0 == 0x0D }) else {
            return value
        }
        var out = ""
        out.reserveCapacity(value.utf8.count + 16)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out.append("&amp;")
            case "<": out.append("&lt;")
            case ">": out.append("&gt;")
            case "\"": out.append("&quot;")
            case "'": out.append("&apos;")
            case "\r": out.append("&#xD;")
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
