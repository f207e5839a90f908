/// A parsed XML element: the small tree the storage protocols exchange.
public struct StorageXMLElement: Sendable, Equatable {
    public var name: String
    public var attributes: [String: String]
    public var children: [StorageXMLElement]
    /// Concatenated character data directly inside this element (entities decoded).
    public var text: String

    public init(name: String, attributes: [String: String] = [:], children: [StorageXMLElement] = [], text: String = "") {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    /// The first child with this name.
    public func child(_ name: String) -> StorageXMLElement? {
        children.first { $0.name == name }
    }

    /// Every child with this name.
    public func children(_ name: String) -> [StorageXMLElement] {
        children.filter { $0.name == name }
    }

    /// Text of the first child with this name.
    public func childText(_ name: String) -> String? {
        child(name)?.text
    }
}

/// XML that could not be parsed; `message` says where and why.
public struct StorageXMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { "malformed XML at byte \(offset): \(message)" }
}
