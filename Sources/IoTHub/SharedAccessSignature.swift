import EdgeFactorSupport
public import Foundation
import Crypto

/// An IoT Hub shared access signature token:
/// `SharedAccessSignature sr={encoded resource URI}&sig={signature}&se={expiry}[&skn={policy}]`.
///
/// Create one with ``make(resourceURI:key:keyName:expiresOn:)``; a server parses the token a client
/// sent with ``init(parsing:)`` and checks it with ``isValid(key:now:)`` and ``covers(_:)``.
public struct SharedAccessSignature: Sendable, Equatable, CustomStringConvertible {
    /// The `sr` value exactly as it appears in the token (the signature is computed over it).
    public var encodedResourceURI: String
    /// The base64 signature (URL-decoded).
    public var signature: String
    /// Expiry, in seconds since 1970 (UTC).
    public var expiry: Int64
    /// The shared access policy name, for policy-signed tokens.
    public var keyName: String?

    /// The decoded resource URI, e.g. `myhub.azure-devices.net/devices/dev1`.
    public var resourceURI: String { PercentEncoding.decode(encodedResourceURI, plusIsSpace: true) ?? encodedResourceURI }

    /// The time after which the token is refused.
    public var expiresOn: Date { Date(timeIntervalSince1970: TimeInterval(expiry)) }

    /// Signs `resourceURI` (no scheme) with a base64 `key`, valid until `expiresOn`.
    public static func make(resourceURI: String, key: String, keyName: String? = nil, expiresOn: Date) throws(IoTHubConfigurationError) -> SharedAccessSignature {
        let encoded = PercentEncoding.encode(resourceURI)
        let expiry = expiry(of: expiresOn)
        let signature = try Self.sign(encodedResourceURI: encoded, expiry: expiry, key: key)
        return SharedAccessSignature(encodedResourceURI: encoded, signature: signature, expiry: expiry, keyName: keyName)
    }

    init(encodedResourceURI: String, signature: String, expiry: Int64, keyName: String?) {
        self.encodedResourceURI = encodedResourceURI
        self.signature = signature
        self.expiry = expiry
        self.keyName = keyName
    }

    /// Parses token text (with or without the `SharedAccessSignature ` prefix), tolerating the
    /// encodings the Azure SDKs emit (field order, upper/lower-case escapes, raw `/` in `sig`).
    public init(parsing token: String) throws(IoTHubConfigurationError) {
        var text = Substring(token.trimmingCharacters(in: .whitespaces))
        let prefix = "SharedAccessSignature "
        if text.hasPrefix(prefix) { text = text.dropFirst(prefix.count) }
        guard text.utf8.count <= 4096 else { throw IoTHubConfigurationError("SAS token is longer than 4096 bytes") }
        var fields: [Substring: Substring] = [:]
        for pair in text.split(separator: "&") {
            guard let equals = pair.firstIndex(of: "=") else {
                throw IoTHubConfigurationError("SAS token field \"\(pair.prefix(20))\" has no '='")
            }
            fields[pair[..<equals]] = pair[pair.index(after: equals)...]
        }
        guard let sr = fields["sr"], let sig = fields["sig"], let se = fields["se"] else {
            throw IoTHubConfigurationError("SAS token must contain sr, sig and se; generate it with the identity's key")
        }
        guard let expiry = Int64(se) else { throw IoTHubConfigurationError("SAS token expiry se=\(se.prefix(20)) is not a number of seconds") }
        guard let signature = PercentEncoding.decode(String(sig)) else {
            throw IoTHubConfigurationError("SAS token signature is not valid percent-encoding")
        }
        self.init(
            encodedResourceURI: String(sr),
            signature: signature,
            expiry: expiry,
            keyName: fields["skn"].flatMap { PercentEncoding.decode(String($0), plusIsSpace: true) }
        )
    }

    /// The token text to send in an MQTT password or HTTP `Authorization` header.
    public var token: String {
        var text = "SharedAccessSignature sr=\(encodedResourceURI)&sig=\(PercentEncoding.encode(signature))&se=\(expiry)"
        if let keyName { text += "&skn=\(PercentEncoding.encode(keyName))" }
        return text
    }

    public var description: String { token }

    /// Whether the signature matches `key` (base64) and the token has not expired at `now`.
    /// The comparison takes the same time whatever the signature.
    public func isValid(key: String, now: Date = Date()) -> Bool {
        guard Int64(now.timeIntervalSince1970) < expiry,
              let expected = try? Self.sign(encodedResourceURI: encodedResourceURI, expiry: expiry, key: key),
              let expectedBytes = Data(base64Encoded: expected),
              let actualBytes = Data(base64Encoded: signature),
              expectedBytes.count == actualBytes.count
        else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(expectedBytes, actualBytes) { difference |= a ^ b }
        return difference == 0
    }

    /// Whether the token's resource URI (case-insensitive) is `resource` or a segment prefix of it:
    /// `hub/devices/d` covers `hub/devices/d/modules/m` but not `hub/devices/dx`.
    public func covers(_ resource: String) -> Bool {
        let granted = resourceURI.lowercased().trimmingSuffix("/")
        let wanted = resource.lowercased().trimmingSuffix("/")
        return wanted == granted || wanted.hasPrefix(granted + "/")
    }

    /// `expiresOn` in whole seconds since 1970, saturated: a date beyond Int64 seconds (or NaN)
    /// must not trap the conversion.
    static func expiry(of expiresOn: Date) -> Int64 {
        let seconds = expiresOn.timeIntervalSince1970.rounded(.down)
        return seconds.isNaN ? 0 : seconds >= 9.2e18 ? Int64.max : seconds <= -9.2e18 ? Int64.min : Int64(seconds)
    }

    /// What the signature covers: the encoded resource URI, a newline, the expiry.
    static func stringToSign(encodedResourceURI: String, expiry: Int64) -> Data {
        Data("\(encodedResourceURI)\n\(expiry)".utf8)
    }

    static func sign(encodedResourceURI: String, expiry: Int64, key: String) throws(IoTHubConfigurationError) -> String {
        guard let keyBytes = Data(base64Encoded: key) else {
            throw IoTHubConfigurationError("shared access key is not valid base64")
        }
        let message = stringToSign(encodedResourceURI: encodedResourceURI, expiry: expiry)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: keyBytes))
        return Data(mac).base64EncodedString()
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
