import AzureStorage
import EdgeFactorSupport
import Foundation

/// The response headers a service SAS sets on Get Blob and Get Blob Properties (`rscc`,
/// `rscd`, `rsce`, `rscl`, `rsct`); `nil` where the SAS leaves the stored property.
struct ResponseOverrides: Sendable, Equatable {
    var cacheControl: String?
    var contentDisposition: String?
    var contentEncoding: String?
    var contentLanguage: String?
    var contentType: String?

    init() {}

    init(_ fields: ServiceSASStringToSign.Fields) {
        func value(_ text: String) -> String? { text.isEmpty ? nil : text }
        cacheControl = value(fields.cacheControl)
        contentDisposition = value(fields.contentDisposition)
        contentEncoding = value(fields.contentEncoding)
        contentLanguage = value(fields.contentLanguage)
        contentType = value(fields.contentType)
    }

    /// `headers` with each overridden header replaced (or added).
    func apply(to headers: [(String, String)]) -> [(String, String)] {
        var result = headers
        for (name, value) in [
            ("Cache-Control", cacheControl), ("Content-Disposition", contentDisposition), ("Content-Encoding", contentEncoding),
            ("Content-Language", contentLanguage), ("Content-Type", contentType),
        ] {
            guard let value else { continue }
            result.removeAll { $0.0.caseInsensitiveCompare(name) == .orderedSame }
            result.append((name, value))
        }
        return result
    }
}

extension RequestAuthenticator {
    /// Checks a service SAS: its signature, then its times, address, protocol and permissions,
    /// taking `st`, `se` and `sp` from the stored access policy it names (`si`) where the SAS
    /// leaves them out.
    func verifySAS(_ request: StorageHTTPRequest, account: StorageAccount, resource: SASResource?, anyOf permissions: [SASPermission]) async throws -> Grant {
        let query = request.query
        if query["ss"] != nil || query["srt"] != nil {
            throw StorageServiceError.authenticationFailed("Account SAS tokens are not supported by the built-in service; use a service SAS (e.g. generate_blob_sas).")
        }
        if query["skoid"] != nil {
            throw StorageServiceError.authenticationFailed("User delegation SAS tokens are not supported by the built-in service.")
        }
        guard let resource else {
            throw StorageServiceError.authenticationFailed("This operation cannot be authorised with a service SAS.")
        }
        var fields = ServiceSASStringToSign.Fields(query: query)
        try verifySignature(&fields, query: query, account: account, resource: resource)
        if !fields.encryptionScope.isEmpty {
            throw StorageServiceError.notImplemented("encryption scopes (the SAS names one with ses=\(fields.encryptionScope.prefix(64)))")
        }
        if !fields.identifier.isEmpty {
            try await applyPolicy(&fields, account: account, resource: resource)
        }
        try checkTimes(fields)
        if !fields.ip.isEmpty {
            guard let range = SASAddressRange(fields.ip) else {
                throw StorageServiceError.authenticationFailed("The SAS IP range sip='\(fields.ip.prefix(40))' is not an IPv4 address or range.")
            }
            guard let client = request.clientIPv4, range.contains(client) else {
                throw StorageServiceError(403, .authorizationSourceIPMismatch, "This request is not authorized: the SAS allows only the addresses \(fields.ip.prefix(40)).")
            }
        }
        if !fields.protocols.isEmpty, !fields.protocols.split(separator: ",").contains("http") {
            throw StorageServiceError(403, .authorizationProtocolMismatch, "This SAS allows HTTPS only, and this service is plain HTTP.")
        }
        guard permissions.contains(where: { fields.permissions.contains($0.rawValue) }) else {
            let letters = permissions.map { "'\($0.rawValue)'" }.joined(separator: " or ")
            throw StorageServiceError(
                403, .authorizationPermissionMismatch,
                "This request is not authorized to perform this operation using this permission: the SAS lacks \(letters)."
            )
        }
        return .sas(permissions: fields.permissions, overrides: ResponseOverrides(fields))
    }

    private func verifySignature(_ fields: inout ServiceSASStringToSign.Fields, query: [String: String], account: StorageAccount, resource: SASResource) throws(StorageServiceError) {
        let stringToSign: String?
        switch resource.service {
        case .blob:
            let canonical: String
            switch fields.resource {
            case "b":
                guard let blob = resource.blob else {
                    throw .authenticationFailed("A blob SAS (sr=b) cannot authorise a container-level request.")
                }
                canonical = "/blob/\(account.name)/\(resource.container)/\(blob)"
            case "c":
                canonical = "/blob/\(account.name)/\(resource.container)"
            default:
                throw .authenticationFailed("The SAS resource sr='\(fields.resource.prefix(8))' is not supported (use b or c).")
            }
            fields.snapshotTime = query["snapshot"] ?? ""
            stringToSign = ServiceSASStringToSign.blob(fields, canonicalResource: canonical)
        case .queue:
            stringToSign = ServiceSASStringToSign.queue(fields, canonicalResource: "/queue/\(account.name)/\(resource.container)")
        }
        guard let stringToSign else {
            throw .authenticationFailed("The SAS version sv='\(fields.version.prefix(16))' is not supported (2015-04-05 or later).")
        }
        guard let given = query["sig"].flatMap({ Data(base64Encoded: $0) }),
              account.credentials.contains(where: { ConstantTime.equals($0.signatureBytes(for: stringToSign), Array(given)) })
        else {
            throw .authenticationFailed("Signature did not match: the SAS was not made for this resource with this account's key, or was altered.")
        }
    }

    /// Fills `st`, `se` and `sp` from the stored access policy the SAS names. Azure's rule: each
    /// of them may be in the SAS or in the policy, never in both (400); a policy that is gone
    /// revokes every SAS naming it (403).
    private func applyPolicy(_ fields: inout ServiceSASStringToSign.Fields, account: StorageAccount, resource: SASResource) async throws {
        let id = fields.identifier
        let kind = resource.service == .blob ? "container" : "queue"
        guard let policy = try await policies.policy(account: account.name, resource: resource, id: id) else {
            throw StorageServiceError.authenticationFailed(
                "The SAS names the stored access policy si='\(id.prefix(64))', which \(kind) '\(resource.container)' does not have: it was removed (the SAS is revoked) or never set."
            )
        }
        func merge(_ sas: String, _ stored: String?, _ name: String) throws(StorageServiceError) -> String {
            guard let stored, !stored.isEmpty else { return sas }
            guard sas.isEmpty else {
                throw StorageServiceError(
                    400, .invalidQueryParameterValue,
                    "The SAS sets \(name) and so does its stored access policy '\(id.prefix(64))'; Azure allows each field in one place only. Leave \(name) out of the SAS."
                )
            }
            return stored
        }
        fields.permissions = try merge(fields.permissions, policy.permissions, "sp")
        fields.start = try merge(fields.start, policy.startsOn.map(StorageDate.iso8601), "st")
        fields.expiry = try merge(fields.expiry, policy.expiresOn.map(StorageDate.iso8601), "se")
    }

    private func checkTimes(_ fields: ServiceSASStringToSign.Fields) throws(StorageServiceError) {
        let now = Date()
        guard let expiry = StorageDate.parseISO8601(fields.expiry) else {
            throw .authenticationFailed("The SAS has no valid expiry (se), neither in the SAS nor in its stored access policy.")
        }
        guard now < expiry else {
            throw .authenticationFailed("Signed expiry time [\(fields.expiry)] has passed; create a new SAS.")
        }
        if !fields.start.isEmpty {
            guard let start = StorageDate.parseISO8601(fields.start) else {
                throw .authenticationFailed("The SAS start time (st) is not a valid ISO 8601 time.")
            }
            guard now >= start else {
                throw .authenticationFailed("Signed start time [\(fields.start)] is in the future; wait or create a SAS with an earlier start.")
            }
        }
    }
}
