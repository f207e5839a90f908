import Foundation

/// Positive validation of everything an administrator types into an account.
///
/// Passwords follow NIST SP 800-63B 5.1.1.2: at least 8 characters, long ones allowed (up to 256),
/// any characters, checked against a list of commonly used values and against the user name. No
/// composition rules and no forced rotation.
enum AccountPolicy {
    /// Shortest password accepted.
    static let minimumPasswordLength = 8
    /// Longest password accepted (characters); the hash input is bounded anyway.
    static let maximumPasswordLength = 256

    /// Returns the user name as it will be stored, or throws if it is not acceptable.
    static func validUsername(_ name: String) throws(FrontEndError) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(trimmed.count),
              trimmed.unicodeScalars.allSatisfy({ isASCIIAlphanumeric($0) || ".-_@".unicodeScalars.contains($0) })
        else { throw .invalidUsername(name) }
        return trimmed
    }

    /// Throws ``FrontEndError/weakPassword(_:)`` naming the rule a password breaks.
    static func checkPassword(_ password: String, username: String) throws(FrontEndError) {
        guard password.count >= minimumPasswordLength else {
            throw .weakPassword("use at least \(minimumPasswordLength) characters")
        }
        guard password.count <= maximumPasswordLength else {
            throw .weakPassword("use at most \(maximumPasswordLength) characters")
        }
        let lowered = password.lowercased()
        guard lowered != username.lowercased(), !lowered.contains(username.lowercased()) || username.count < 4 else {
            throw .weakPassword("it must not contain the user name")
        }
        guard !CommonPasswords.contains(lowered) else {
            throw .weakPassword("it is one of the most commonly used passwords; choose another")
        }
        if Set(password).count == 1 {
            throw .weakPassword("a single repeated character is too easy to guess")
        }
    }

    /// Checks an object class name (1...100 letters, digits, space, `-` `'` `,` `.` `_` `(` `)`), the
    /// same rule the signed request enforces, and returns it trimmed.
    static func validClassName(_ name: String) throws(FrontEndError) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(trimmed.count) else {
            throw .invalidClass("\"\(name)\" must have 1 to 100 characters")
        }
        guard trimmed.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || " -',._()".unicodeScalars.contains($0) }) else {
            throw .invalidClass("\"\(name)\" may contain only letters, digits, spaces and - ' , . _ ( )")
        }
        return trimmed
    }

    /// Checks a threshold in percent.
    static func validThreshold(_ value: Double) throws(FrontEndError) -> Double {
        guard value.isFinite, (1...100).contains(value) else { throw .invalidThreshold(value) }
        return value
    }

    /// Checks a device or module id against the hub registry's character set.
    static func validDeviceId(_ id: String) throws(FrontEndError) -> String {
        let allowed = "-._:@+=,!()$'".unicodeScalars
        guard (1...128).contains(id.count),
              id.unicodeScalars.allSatisfy({ isASCIIAlphanumeric($0) || allowed.contains($0) })
        else { throw .invalidDeviceId(id) }
        return id
    }

    private static func isASCIIAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
