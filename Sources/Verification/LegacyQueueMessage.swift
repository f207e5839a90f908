import Foundation

/// The original design's queue message, `requestId|className|threshold|key`. It carries no
/// signature, expiry or nonce; the agent accepts it only when its legacy option is set.
public struct LegacyQueueMessage: Sendable, Hashable {
    public var requestId: String
    public var className: String
    public var threshold: Double
    /// The original's "module key" (a MAC address): informational only, never trusted.
    public var key: String

    /// Parses and validates the four pipe-separated fields.
    public init(parsing text: String) throws(VerificationError) {
        guard text.utf8.count <= 1024 else { throw .malformed("legacy message longer than 1024 bytes") }
        let fields = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 4 else {
            throw .malformed("legacy message must have 4 fields separated by '|', found \(fields.count)")
        }
        guard let threshold = Double(fields[2].trimmingCharacters(in: .whitespaces)) else {
            throw .invalidField(name: "threshold", reason: "not a number")
        }
        try FieldRules.requestId(fields[0])
        try FieldRules.className(fields[1])
        try FieldRules.threshold(threshold)
        requestId = fields[0]
        className = fields[1]
        self.threshold = threshold
        key = fields[3]
    }
}
