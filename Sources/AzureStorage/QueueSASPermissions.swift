/// Permissions a queue service SAS grants.
public struct QueueSASPermissions: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Peek messages and read the queue's metadata.
    public static let read = QueueSASPermissions(rawValue: 1 << 0)
    /// Put messages.
    public static let add = QueueSASPermissions(rawValue: 1 << 1)
    /// Update messages (change their visibility or text).
    public static let update = QueueSASPermissions(rawValue: 1 << 2)
    /// Get and delete messages.
    public static let process = QueueSASPermissions(rawValue: 1 << 3)

    private static let letters: [(QueueSASPermissions, Character)] = [(.read, "r"), (.add, "a"), (.update, "u"), (.process, "p")]

    /// The `sp` value, letters in the service's canonical order (`raup`).
    public var sp: String {
        String(Self.letters.filter { contains($0.0) }.map(\.1))
    }

    /// Parses an `sp` value; unknown letters are ignored (they grant nothing here).
    public init(sp: String) {
        var value: QueueSASPermissions = []
        for (permission, letter) in Self.letters where sp.contains(letter) { value.insert(permission) }
        self = value
    }
}
