public import Foundation

extension QueueClient {
    /// A service SAS token (query string without `?`) granting `permissions` on this queue only,
    /// until `expiresOn`; with `policy`, valid only while the queue has that stored access policy
    /// (one that holds no permissions or dates of its own), so that removing it revokes the token.
    /// - Throws: ``StorageConfigurationError`` if the connection string has no account key.
    public func sasToken(permissions: QueueSASPermissions, expiresOn: Date, startsOn: Date? = nil, policy: String? = nil) throws(StorageConfigurationError) -> String {
        guard case .sharedKey(let key) = transport.credential else {
            throw StorageConfigurationError("creating a SAS needs the account key: use a connection string with AccountName and AccountKey.")
        }
        return try ServiceSAS.queue(queueName, permissions: permissions.sp, expiresOn: expiresOn, startsOn: startsOn, policy: policy, key: key)
    }
}
