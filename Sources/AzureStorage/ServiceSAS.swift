import EdgeFactorSupport
import Foundation

/// Builds key-signed service SAS tokens (the query string, without `?`), for the clients' `sasToken`
/// and `sasURL` methods.
enum ServiceSAS {
    /// A token for the queue `queue`; with `policy`, also bound to that stored access policy (which
    /// then holds none of the fields given here), so that removing the policy revokes it.
    static func queue(_ queue: String, permissions: String, expiresOn: Date, startsOn: Date?, policy: String? = nil, key: StorageSharedKeyCredential) throws(StorageConfigurationError) -> String {
        var fields = fields(permissions: permissions, expiresOn: expiresOn, startsOn: startsOn, resource: "")
        fields.identifier = policy ?? ""
        guard let stringToSign = ServiceSASStringToSign.queue(fields, canonicalResource: "/queue/\(key.accountName)/\(queue)") else {
            throw StorageConfigurationError("cannot sign a queue SAS for version \(fields.version).")
        }
        return token(fields, signature: key.signature(for: stringToSign))
    }

    /// A token for the container `container` (`sr=c`), or for one of its blobs (`sr=b`).
    static func blob(container: String, blob: String?, permissions: String, expiresOn: Date, startsOn: Date?, policy: String? = nil, key: StorageSharedKeyCredential) throws(StorageConfigurationError) -> String {
        var fields = fields(permissions: permissions, expiresOn: expiresOn, startsOn: startsOn, resource: blob == nil ? "c" : "b")
        fields.identifier = policy ?? ""
        let resource = "/blob/\(key.accountName)/\(container)" + (blob.map { "/\($0)" } ?? "")
        guard let stringToSign = ServiceSASStringToSign.blob(fields, canonicalResource: resource) else {
            throw StorageConfigurationError("cannot sign a blob SAS for version \(fields.version).")
        }
        return token(fields, signature: key.signature(for: stringToSign))
    }

    /// A token for the queue `queue` bound to its stored access policy `id`: permissions, start
    /// and expiry come from the policy, so changing or removing the policy changes or revokes it.
    static func queue(_ queue: String, policy id: String, key: StorageSharedKeyCredential) throws(StorageConfigurationError) -> String {
        let fields = try policyFields(id, resource: "")
        guard let stringToSign = ServiceSASStringToSign.queue(fields, canonicalResource: "/queue/\(key.accountName)/\(queue)") else {
            throw StorageConfigurationError("cannot sign a queue SAS for version \(fields.version).")
        }
        return token(fields, signature: key.signature(for: stringToSign))
    }

    /// A container token (`sr=c`) bound to the container's stored access policy `id`.
    static func container(_ container: String, policy id: String, key: StorageSharedKeyCredential) throws(StorageConfigurationError) -> String {
        let fields = try policyFields(id, resource: "c")
        guard let stringToSign = ServiceSASStringToSign.blob(fields, canonicalResource: "/blob/\(key.accountName)/\(container)") else {
            throw StorageConfigurationError("cannot sign a blob SAS for version \(fields.version).")
        }
        return token(fields, signature: key.signature(for: stringToSign))
    }

    private static func policyFields(_ id: String, resource: String) throws(StorageConfigurationError) -> ServiceSASStringToSign.Fields {
        guard !id.isEmpty, id.count <= 64 else {
            throw StorageConfigurationError("a stored access policy id has 1 to 64 characters; '\(id.prefix(80))' does not.")
        }
        var fields = ServiceSASStringToSign.Fields()
        fields.identifier = id
        fields.version = StorageTransport.apiVersion
        fields.resource = resource
        return fields
    }

    private static func fields(permissions: String, expiresOn: Date, startsOn: Date?, resource: String) -> ServiceSASStringToSign.Fields {
        var fields = ServiceSASStringToSign.Fields()
        fields.permissions = permissions
        fields.start = startsOn.map(StorageDate.iso8601) ?? ""
        fields.expiry = StorageDate.iso8601(expiresOn)
        fields.version = StorageTransport.apiVersion
        fields.resource = resource
        return fields
    }

    private static func token(_ fields: ServiceSASStringToSign.Fields, signature: String) -> String {
        var query: [(String, String)] = [("sv", fields.version)]
        if !fields.start.isEmpty { query.append(("st", fields.start)) }
        if !fields.expiry.isEmpty { query.append(("se", fields.expiry)) }
        if !fields.resource.isEmpty { query.append(("sr", fields.resource)) }
        if !fields.permissions.isEmpty { query.append(("sp", fields.permissions)) }
        if !fields.identifier.isEmpty { query.append(("si", fields.identifier)) }
        query.append(("sig", signature))
        return query.map { "\($0.0)=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
    }
}
