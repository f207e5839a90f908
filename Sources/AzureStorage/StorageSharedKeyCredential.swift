import Foundation
import Crypto

/// An account name with its base64 account key; signs Shared Key requests and SAS tokens.
public struct StorageSharedKeyCredential: Sendable, Hashable {
    /// The storage account name (e.g. `devstoreaccount1`).
    public let accountName: String
    /// The account key exactly as given (base64), used when rendering connection strings.
    public let accountKey: String
    private let keyBytes: [UInt8]
    /// HMAC keyed once: each signature starts from a copy instead of hashing the key again.
    private let keyedMAC: HMAC<SHA256>

    /// - Throws: ``StorageConfigurationError`` when the key is not valid base64 or is empty.
    public init(accountName: String, accountKey: String) throws(StorageConfigurationError) {
        guard !accountName.isEmpty else {
            throw StorageConfigurationError("AccountName is empty: set AccountName=<your account> in the connection string.")
        }
        guard let data = Data(base64Encoded: accountKey), !data.isEmpty else {
            throw StorageConfigurationError(
                "AccountKey for account '\(accountName)' is not valid base64: copy the key again from the storage account's access keys."
            )
        }
        self.accountName = accountName
        self.accountKey = accountKey
        self.keyBytes = Array(data)
        self.keyedMAC = HMAC<SHA256>(key: SymmetricKey(data: data))
    }

    /// base64(HMAC-SHA256(key, UTF-8(stringToSign))), the signature used by Shared Key and SAS.
    public func signature(for stringToSign: String) -> String {
        Data(signatureBytes(for: stringToSign)).base64EncodedString()
    }

    /// The raw HMAC-SHA256 of the string to sign.
    public func signatureBytes(for stringToSign: String) -> [UInt8] {
        var mac = keyedMAC
        var text = stringToSign
        text.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        return Array(mac.finalize())
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.accountName == rhs.accountName && lhs.keyBytes == rhs.keyBytes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(accountName)
    }
}
