import Crypto
import EdgeFactorSupport
public import Foundation

/// A payload with its HMAC-SHA256: `{"v":1,"kind":…,"kid":…,"payload":"<canonical JSON>","sig":"…"}`.
///
/// The signature covers `edgefactor-envelope/1`, the kind, the key id and the exact payload text,
/// so the receiver checks the bytes it got (no re-canonicalisation) and a signature for one purpose
/// cannot be reused for another. The key itself never travels.
public struct SignedEnvelope: Codable, Sendable, Hashable {
    /// The only version this build writes and reads.
    public static let currentVersion = 1
    /// Envelopes larger than this are refused before parsing.
    public static let maximumEncodedSize = 64 * 1024

    public var v: Int
    public var kind: String
    /// Which key signed it: the device id or module id whose secret verifies it.
    public var kid: String
    /// The payload's canonical JSON text.
    public var payload: String
    /// base64url HMAC-SHA256 of the signed text.
    public var sig: String

    /// The id of the key that signed this envelope.
    public var keyId: String { kid }

    /// Encodes `value` canonically and signs it.
    public static func seal<T: Encodable>(_ value: T, kind: EnvelopeKind, keyId: String, secret: SharedSecret) throws -> SignedEnvelope {
        let payload = String(decoding: try CanonicalJSON.encode(value), as: UTF8.self)
        let mac = HMAC<SHA256>.authenticationCode(for: signedText(kind: kind.rawValue, kid: keyId, payload: payload), using: secret.key)
        return SignedEnvelope(v: currentVersion, kind: kind.rawValue, kid: keyId, payload: payload, sig: Base64URL.encode(mac))
    }

    /// Checks version, kind and signature (in constant time), then decodes the payload.
    public func open<T: Decodable>(_ type: T.Type, kind expected: EnvelopeKind, secret: SharedSecret) throws(VerificationError) -> T {
        guard v == Self.currentVersion else { throw .unsupportedVersion(v) }
        guard kind == expected.rawValue else { throw .wrongKind(expected: expected.rawValue, actual: kind) }
        guard let mac = Base64URL.decodeLenient(sig), mac.count == SHA256.byteCount,
              HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Self.signedText(kind: kind, kid: kid, payload: payload), using: secret.key)
        else { throw .badSignature }
        return try CanonicalJSON.decode(type, from: Data(payload.utf8))
    }

    /// Decodes the payload WITHOUT checking the signature: for a relay that does not hold the key
    /// (the module), to check that what it relays is consistent. Never trust what this returns.
    public func peek<T: Decodable>(_ type: T.Type) throws(VerificationError) -> T {
        guard v == Self.currentVersion else { throw .unsupportedVersion(v) }
        return try CanonicalJSON.decode(type, from: Data(payload.utf8))
    }

    /// The envelope as compact JSON.
    public func jsonData() -> Data {
        // Encoding five plain fields cannot fail; fall back to an empty object rather than trap.
        (try? CanonicalJSON.encode(self)) ?? Data("{}".utf8)
    }

    /// The envelope as compact JSON text.
    public func jsonString() -> String { String(decoding: jsonData(), as: UTF8.self) }

    /// Parses an envelope, refusing oversized input and missing fields.
    public static func decode(_ data: some DataProtocol) throws(VerificationError) -> SignedEnvelope {
        guard data.count <= maximumEncodedSize else {
            throw .malformed("envelope of \(data.count) bytes exceeds the \(maximumEncodedSize)-byte limit")
        }
        return try CanonicalJSON.decode(SignedEnvelope.self, from: Data(data))
    }

    static func signedText(kind: String, kid: String, payload: String) -> Data {
        Data("edgefactor-envelope/1\n\(kind)\n\(kid)\n\(payload)".utf8)
    }
}
