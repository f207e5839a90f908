public import Foundation

/// A stored access policy (a *signed identifier*) on a blob container or a queue: Set Container
/// ACL / Set Queue ACL store up to five. A service SAS that names one with `si=` takes from it
/// the fields it does not carry itself, and stops working when the policy is removed or
/// changed, so a SAS handed out can be revoked without rotating the account key.
///
/// ```swift
/// try await queue.setAccessPolicies([StoredAccessPolicy(id: "device-7", permissions: "p", expiresOn: nextYear)])
/// let token = try queue.sasToken(policy: "device-7")                // give this to device 7
/// try await queue.setAccessPolicies([])                              // revokes it
/// ```
public struct StoredAccessPolicy: Sendable, Hashable {
    /// The policy's identifier (1…64 characters), which a SAS names with `si=`.
    public var id: String
    /// Permission letters the SAS grants, e.g. `"rw"` (container: `racwdl`; queue: `raup`);
    /// `nil` to have each SAS carry its own `sp`.
    public var permissions: String?
    /// When SAS access starts; `nil` for at once (or the SAS's own `st`).
    public var startsOn: Date?
    /// When SAS access ends; `nil` to have each SAS carry its own `se`.
    public var expiresOn: Date?

    public init(id: String, permissions: String? = nil, startsOn: Date? = nil, expiresOn: Date? = nil) {
        self.id = id
        self.permissions = permissions
        self.startsOn = startsOn
        self.expiresOn = expiresOn
    }

    /// The most policies one container or queue may hold.
    public static let maximumCount = 5

    /// The `SignedIdentifiers` document of Set/Get Container ACL and Queue ACL.
    package static func xml(_ policies: [StoredAccessPolicy]) -> String {
        var writer = StorageXMLWriter()
        guard !policies.isEmpty else {
            writer.empty("SignedIdentifiers")
            return writer.text
        }
        writer.open("SignedIdentifiers")
        for policy in policies {
            writer.open("SignedIdentifier")
            writer.element("Id", policy.id)
            writer.open("AccessPolicy")
            if let start = policy.startsOn { writer.element("Start", StorageDate.iso8601Fraction(start)) }
            if let expiry = policy.expiresOn { writer.element("Expiry", StorageDate.iso8601Fraction(expiry)) }
            if let permissions = policy.permissions { writer.element("Permission", permissions) }
            writer.close("AccessPolicy")
            writer.close("SignedIdentifier")
        }
        writer.close("SignedIdentifiers")
        return writer.text
    }

    /// Parses a `SignedIdentifiers` document; the error says which element is wrong.
    package static func parse(_ root: StorageXMLElement) throws(StoredAccessPolicyError) -> [StoredAccessPolicy] {
        guard root.name == "SignedIdentifiers" else {
            throw StoredAccessPolicyError("the root element must be <SignedIdentifiers>, not <\(root.name.prefix(40))>")
        }
        var policies: [StoredAccessPolicy] = []
        for identifier in root.children {
            guard identifier.name == "SignedIdentifier" else {
                throw StoredAccessPolicyError("<SignedIdentifiers> may contain only <SignedIdentifier> elements, not <\(identifier.name.prefix(40))>")
            }
            guard let id = identifier.childText("Id"), !id.isEmpty, id.count <= 64 else {
                throw StoredAccessPolicyError("every <SignedIdentifier> needs an <Id> of 1 to 64 characters")
            }
            var policy = StoredAccessPolicy(id: id)
            if let access = identifier.child("AccessPolicy") {
                func date(_ name: String) throws(StoredAccessPolicyError) -> Date? {
                    guard let text = access.childText(name), !text.isEmpty else { return nil }
                    guard let date = StorageDate.parseISO8601(text) else {
                        throw StoredAccessPolicyError("<\(name)> of policy '\(id)' is not an ISO 8601 UTC time: '\(text.prefix(40))'")
                    }
                    return date
                }
                policy.startsOn = try date("Start")
                policy.expiresOn = try date("Expiry")
                if let permissions = access.childText("Permission"), !permissions.isEmpty { policy.permissions = permissions }
            }
            policies.append(policy)
        }
        return policies
    }
}

/// A `SignedIdentifiers` document that is not what Set Container/Queue ACL expects.
package struct StoredAccessPolicyError: Error, Sendable, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

extension StoredAccessPolicy {
    /// The policies of a Get Container/Queue ACL response.
    static func parse(response: StorageResponse) throws(StorageError) -> [StoredAccessPolicy] {
        do {
            return try parse(try StorageXMLReader.parse(response.body.readableBytesView))
        } catch {
            throw StorageError(status: response.status, code: .invalidResponse, message: "the access policies are not a valid SignedIdentifiers document (\(error)).")
        }
    }
}
