import Foundation

/// Positive validation of the fields that cross trust boundaries: what is allowed is listed,
/// everything else is refused (no `"`, `|`, `/`, control characters, or over-long values).
enum FieldRules {
    /// 32 hex digits (a 128-bit random id) or a canonical UUID, as the original's GUIDs.
    static func requestId(_ value: String) throws(VerificationError) {
        let hex = value.unicodeScalars.allSatisfy { CharacterSet(charactersIn: "0123456789abcdefABCDEF").contains($0) }
        if value.count == 32, hex { return }
        if value.count == 36, UUID(uuidString: value) != nil { return }
        throw .invalidField(name: "requestId", reason: "must be 32 hex digits or a UUID")
    }

    /// IoT Hub device and module ids: 1–128 ASCII letters, digits and `-._:@+=,!()$'`.
    static func identityId(_ value: String, name: String) throws(VerificationError) {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:@+=,!()$'")
        guard (1...128).contains(value.count), value.unicodeScalars.allSatisfy({ allowed.contains($0) }) else {
            throw .invalidField(name: name, reason: "must be 1–128 letters, digits or -._:@+=,!()$'")
        }
    }

    /// Object class names as classifier labels spell them ("tabby, tabby cat", "jack-o'-lantern").
    static func className(_ value: String) throws(VerificationError) {
        let extra = CharacterSet(charactersIn: " -',._()")
        guard (1...100).contains(value.count),
              value.trimmingCharacters(in: .whitespaces) == value,
              value.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || extra.contains($0) })
        else {
            throw .invalidField(name: "className", reason: "must be 1–100 letters, digits, spaces or -',._() without surrounding spaces")
        }
    }

    /// A confidence threshold in percent.
    static func threshold(_ value: Double) throws(VerificationError) {
        guard value.isFinite, (1...100).contains(value) else {
            throw .invalidField(name: "threshold", reason: "must be a percentage from 1 to 100")
        }
    }

    /// A confidence in percent (0 when nothing was found).
    static func confidence(_ value: Double) throws(VerificationError) {
        guard value.isFinite, (0...100).contains(value) else {
            throw .invalidField(name: "confidence", reason: "must be a percentage from 0 to 100")
        }
    }

    /// base64url nonces of 16–64 characters (at least 96 bits).
    static func nonce(_ value: String) throws(VerificationError) {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        guard (16...64).contains(value.count), value.unicodeScalars.allSatisfy({ allowed.contains($0) }) else {
            throw .invalidField(name: "nonce", reason: "must be 16–64 base64url characters")
        }
    }

    /// Azure queue and blob container names: 3–63 lowercase letters, digits and single hyphens,
    /// starting and ending with a letter or digit.
    static func storageName(_ value: String, name: String) throws(VerificationError) {
        let allowed = value.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        guard (3...63).contains(value.count), allowed, !value.hasPrefix("-"), !value.hasSuffix("-"), !value.contains("--") else {
            throw .invalidField(name: name, reason: "must be 3–63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit")
        }
    }

    /// Model names: 1–100 ASCII letters, digits, `-`, `_` or `.`, not starting with `.` (a model
    /// name becomes a file name in the models folder, so it can never climb out of it).
    static func modelName(_ value: String) throws(VerificationError) {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        guard (1...100).contains(value.count), !value.hasPrefix("."), value.unicodeScalars.allSatisfy({ allowed.contains($0) }) else {
            throw .invalidField(name: "model", reason: "must be 1–100 letters, digits, '-', '_' or '.', not starting with '.'")
        }
    }

    /// A personal-object template id or an account reference: 32 lowercase hex digits.
    static func hex128(_ value: String, name: String) throws(VerificationError) {
        let hex = value.unicodeScalars.allSatisfy { CharacterSet(charactersIn: "0123456789abcdef").contains($0) }
        guard value.count == 32, hex else {
            throw .invalidField(name: name, reason: "must be 32 lowercase hex digits")
        }
    }

    /// A lowercase hex SHA-256 digest.
    static func sha256Hex(_ value: String) throws(VerificationError) {
        let hex = value.unicodeScalars.allSatisfy { CharacterSet(charactersIn: "0123456789abcdef").contains($0) }
        guard value.count == 64, hex else {
            throw .invalidField(name: "imageSHA256", reason: "must be 64 lowercase hex digits")
        }
    }
}
