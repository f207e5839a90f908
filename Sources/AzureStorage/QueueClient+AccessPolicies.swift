import Foundation
import NIOCore

extension QueueClient {
    /// Replaces the queue's stored access policies (Set Queue ACL; at most
    /// ``StoredAccessPolicy/maximumCount``). A policy left out revokes every SAS that names it.
    public func setAccessPolicies(_ policies: [StoredAccessPolicy]) async throws {
        _ = try await transport.send(StorageRequest(
            method: .PUT, path: path, query: [("comp", "acl")],
            headers: [("content-type", "application/xml")], body: ByteBuffer(string: StoredAccessPolicy.xml(policies)), expected: [204]
        ))
    }

    /// The queue's stored access policies (Get Queue ACL).
    public func accessPolicies() async throws -> [StoredAccessPolicy] {
        let response = try await transport.send(StorageRequest(method: .GET, path: path, query: [("comp", "acl")], expected: [200]))
        return try StoredAccessPolicy.parse(response: response)
    }

    /// A queue SAS token (query string without `?`) bound to the stored access policy `id`: it
    /// grants what the policy grants (`r` peek, `a` add, `u` update, `p` get and delete), for as
    /// long as the policy has it. Set the policy first (``setAccessPolicies(_:)``).
    /// - Throws: ``StorageConfigurationError`` if the connection string has no account key.
    public func sasToken(policy id: String) throws(StorageConfigurationError) -> String {
        guard case .sharedKey(let key) = transport.credential else {
            throw StorageConfigurationError("creating a SAS needs the account key: use a connection string with AccountName and AccountKey.")
        }
        return try ServiceSAS.queue(queueName, policy: id, key: key)
    }
}
