public import Foundation

/// Why a verification message was refused. Every case says what was wrong; `description` also says
/// what to check.
public enum VerificationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The bytes are not a well-formed message of the expected shape.
    case malformed(String)
    /// The envelope's version is not one this build understands.
    case unsupportedVersion(Int)
    /// The envelope was sealed for another purpose (a result presented as a request, say).
    case wrongKind(expected: String, actual: String)
    /// The HMAC does not match: wrong secret, or the message was altered.
    case badSignature
    /// The message's lifetime ended at the given time.
    case expired(at: Date)
    /// The message claims to be issued in the future (beyond the allowed clock skew).
    case notYetValid(at: Date)
    /// The nonce was seen before: the message is a replay.
    case replayed
    /// A field failed validation.
    case invalidField(name: String, reason: String)
    /// A secret shorter than 128 bits, or not base64.
    case weakSecret
    /// The replay guard is full of live nonces; refusing is safer than forgetting one.
    case replayCacheFull

    public var description: String {
        switch self {
        case .malformed(let why):
            return "malformed message: \(why)"
        case .unsupportedVersion(let v):
            return "unsupported envelope version \(v): upgrade this component to match its peer"
        case .wrongKind(let expected, let actual):
            return "envelope of kind '\(actual)' where '\(expected)' was expected"
        case .badSignature:
            return "signature mismatch: the message was altered or the peers do not share the same secret (re-provision with `edgefactor secrets`)"
        case .expired(let at):
            return "message expired at \(at.formatted(.iso8601)): check the clocks of both sides or lengthen the request lifetime"
        case .notYetValid(let at):
            return "message issued in the future (\(at.formatted(.iso8601))): the sender's clock is ahead; synchronise clocks (NTP)"
        case .replayed:
            return "nonce already used: the message is a replay and was refused"
        case .invalidField(let name, let reason):
            return "invalid \(name): \(reason)"
        case .weakSecret:
            return "secret must be base64 of at least 16 random bytes: create one with `edgefactor secrets new`"
        case .replayCacheFull:
            return "too many live requests to track for replay protection: retry later or shorten request lifetimes"
        }
    }
}
