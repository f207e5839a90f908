public import Foundation

extension BlobContainerClient {
    /// A service SAS token (query string without `?`, `sr=c`) granting `permissions` on every blob
    /// of this container, until `expiresOn`; with `policy`, valid only while the container has that
    /// stored access policy (one that holds no permissions or dates of its own).
    /// - Throws: ``StorageConfigurationError`` if the connection string has no account key.
    public func sasToken(permissions: BlobSASPermissions, expiresOn: Date, startsOn: Date? = nil, policy: String? = nil) throws(StorageConfigurationError) -> String {
        guard let key = connection.sharedKey else {
            throw StorageConfigurationError("creating a SAS needs the account key: use a connection string with AccountName and AccountKey.")
        }
        return try ServiceSAS.blob(container: containerName, blob: nil, permissions: permissions.sp, expiresOn: expiresOn, startsOn: startsOn, policy: policy, key: key)
    }
}
