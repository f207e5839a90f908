import Foundation
import NIOCore

extension BlobContainerClient {
    /// Replaces the container's stored access policies (Set Container ACL; at most
    /// ``StoredAccessPolicy/maximumCount``). A policy left out revokes every SAS that names it.
    /// The container stays private.
    public func setAccessPolicies(_ policies: [StoredAccessPolicy]) async throws {
        _ = try await transport.send(StorageRequest(
            method: .PUT, path: path, query: [("restype", "container"), ("comp", "acl")],
            headers: [("content-type", "application/xml")], body: ByteBuffer(string: StoredAccessPolicy.xml(policies)), expected: [200]
        ))
    }

    /// The container's stored access policies (Get Container ACL).
    public func accessPolicies() async throws -> [StoredAccessPolicy] {
        let response = try await transport.send(StorageRequest(method: .GET, path: path, query: [("restype", "container"), ("comp", "acl")], expected: [200]))
        return try StoredAccessPolicy.parse(response: response)
    }

    /// A container SAS token (`sr=c`, query string without `?`) bound to the stored access
    /// policy `id`: it grants what the policy grants, for as long as the policy has it, on the
    /// container and its blobs. Set the policy first (``setAccessPolicies(_:)``).
    /// - Throws: ``StorageConfigurationError`` if the connection string has no account key.
    public func sasToken(policy id: String) throws(StorageConfigurationError) -> String {
        guard let key = connection.sharedKey else {
            throw StorageConfigurationError("creating a SAS needs the account key: use a connection string with AccountName and AccountKey.")
        }
        return try ServiceSAS.container(containerName, policy: id, key: key)
    }
}
