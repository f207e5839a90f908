/// A parsed XML element: the small tree the storage protocols exchange.
package struct StorageXMLElement: Sendable, Equatable {
    package var name: String
    package var attributes: [String: String]
    package var children: [StorageXMLElement]
    /// Concatenated character data directly inside this element (entities decoded).
    package var text: String

    package init(name: String, attributes: [String: String] = [:], children: [StorageXMLElement] = [], text: String = "") {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    /// The first child with this name.
    package func child(_ name: String) -> StorageXMLElement? {
        children.first { $0.name == name }
    }

    /// Every child with this name.
    package func children(_ name: String) -> [StorageXMLElement] {
        children.filter { $0.name == name }
    }

    /// Text of the first child with this name.
    package func childText(_ name: String) -> String? {
        child(name)?.text
    }
}

/// XML that could not be parsed; `message` says where and why.
package struct StorageXMLError: Error, Sendable, Equatable, CustomStringConvertible {
    package var message: String
    package var offset: Int
    package var description: String { "malformed XML at byte \(offset): \(message)" }
}
