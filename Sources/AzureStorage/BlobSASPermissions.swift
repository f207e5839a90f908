/// Permissions a blob service SAS grants.
public struct BlobSASPermissions: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let read = BlobSASPermissions(rawValue: 1 << 0)
    public static let add = BlobSASPermissions(rawValue: 1 << 1)
    public static let create = BlobSASPermissions(rawValue: 1 << 2)
    public static let write = BlobSASPermissions(rawValue: 1 << 3)
    public static let delete = BlobSASPermissions(rawValue: 1 << 4)
    public static let list = BlobSASPermissions(rawValue: 1 << 5)

    /// Read-only access to one blob.
    public static let readOnly: BlobSASPermissions = [.read]
    /// Write-only access: create or replace the blob, nothing else.
    public static let writeOnly: BlobSASPermissions = [.create, .write]

    private static let letters: [(BlobSASPermissions, Character)] = [
        (.read, "r"), (.add, "a"), (.create, "c"), (.write, "w"), (.delete, "d"), (.list, "l"),
    ]

    /// The `sp` value, letters in the service's canonical order (`racwdl`).
    public var sp: String {
        String(Self.letters.filter { contains($0.0) }.map(\.1))
    }

    /// Parses an `sp` value; unknown letters are ignored (they grant nothing here).
    public init(sp: String) {
        var value: BlobSASPermissions = []
        for (permission, letter) in Self.letters where sp.contains(letter) { value.insert(permission) }
        self = value
    }
}
