import AzureStorage
import EdgeFactorSupport
import Foundation

/// What a request needs a SAS to grant.
enum SASPermission: Character, Sendable {
    case read = "r", add = "a", create = "c", write = "w", delete = "d", list = "l", process = "p", update = "u"
}

/// The resource a request addresses, for SAS scope checks.
struct SASResource: Sendable {
    enum Service: Sendable { case blob, queue }
    var service: Service
    /// Container or queue name.
    var container: String
    /// Blob name (blob service only), `nil` for container-level requests.
    var blob: String?
}

/// What an authenticated request may do: everything (Shared Key), or what its SAS grants.
enum Grant: Sendable, Equatable {
    case sharedKey
    /// The SAS's permission letters (its `sp`, or its stored access policy's), and the response
    /// headers it overrides (`rscc`, `rscd`, `rsce`, `rscl`, `rsct`).
    case sas(permissions: String, overrides: ResponseOverrides = ResponseOverrides())

    /// The response headers a SAS overrides on Get Blob and Get Blob Properties.
    var overrides: ResponseOverrides {
        if case .sas(_, let overrides) = self { return overrides }
        return ResponseOverrides()
    }

    /// Whether the request may do what `permission` stands for.
    func allows(_ permission: SASPermission) -> Bool {
        switch self {
        case .sharedKey: true
        case .sas(let permissions, _): permissions.contains(permission.rawValue)
        }
    }
}

/// Verifies Shared Key signatures and service SAS tokens (with their stored access policies).
/// Anything else is 403.
struct RequestAuthenticator: Sendable {
    let accounts: [String: StorageAccount]
    let maximumClockSkew: TimeInterval
    /// Where a SAS's `si` is looked up.
    let policies: AccessPolicyStore

    init(accounts: [StorageAccount], maximumClockSkew: Duration, policies: AccessPolicyStore) {
        var map: [String: StorageAccount] = [:]
        for account in accounts { map[account.name] = account }
        self.accounts = map
        self.maximumClockSkew = Double(maximumClockSkew.components.seconds)
        self.policies = policies
    }

    /// Throws 403 unless the request is signed with a key of its account, or carries a valid SAS
    /// for `resource` that grants `permission`.
    @discardableResult
    func authenticate(_ request: StorageHTTPRequest, resource: SASResource?, permission: SASPermission) async throws -> Grant {
        try await authenticate(request, resource: resource, anyOf: [permission])
    }

    /// Throws 403 unless the request is signed with a key of its account, or carries a valid SAS
    /// for `resource` that grants at least one of `permissions`; returns what was granted (the
    /// operation may depend on it: `c` alone creates but never overwrites).
    @discardableResult
    func authenticate(_ request: StorageHTTPRequest, resource: SASResource?, anyOf permissions: [SASPermission]) async throws -> Grant {
        guard let account = accounts[request.account] else {
            throw StorageServiceError.authenticationFailed("The account '\(request.account.prefix(64))' does not exist on this service; check AccountName and the endpoint URL.")
        }
        if let authorization = request.header("authorization") {
            try verifySharedKey(authorization, request: request, account: account)
            return .sharedKey
        } else if request.query["sig"] != nil {
            return try await verifySAS(request, account: account, resource: resource, anyOf: permissions)
        } else {
            throw StorageServiceError.authenticationFailed("The request carries neither an Authorization header nor a SAS; anonymous access is not enabled.")
        }
    }

    private func verifySharedKey(_ authorization: String, request: StorageHTTPRequest, account: StorageAccount) throws(StorageServiceError) {
        let parts = authorization[...].asciiSplit(UInt8(ascii: " "), maxSplits: 1)
        guard parts.count == 2, parts[0] == "SharedKey" else {
            throw .authenticationFailed("Only 'SharedKey' authorization is supported (not SharedKeyLite or bearer tokens).")
        }
        let credential = parts[1].asciiSplit(UInt8(ascii: ":"), maxSplits: 1)
        guard credential.count == 2, String(credential[0]) == account.name else {
            throw .authenticationFailed("The Authorization header must read 'SharedKey \(account.name):<signature>' for this URL's account.")
        }
        guard let given = Data(base64Encoded: String(credential[1])) else {
            throw .authenticationFailed("The signature in the Authorization header is not base64.")
        }
        guard let dateText = request.header("x-ms-date") ?? request.header("date") else {
            throw .authenticationFailed("The request has no x-ms-date (or Date) header.")
        }
        guard let date = StorageDate.parseRFC1123(dateText) else {
            throw .authenticationFailed("The x-ms-date header '\(dateText.prefix(64))' is not an RFC 1123 date.")
        }
        guard abs(date.timeIntervalSinceNow) <= maximumClockSkew else {
            throw .authenticationFailed("The request date is more than \(Int(maximumClockSkew / 60)) minutes away from the service's clock; check the client's clock.")
        }
        let msHeaders = request.msHeaders
        // The SDKs' collation first; plain ordinal order for other clients (see SharedKeyHeaderOrder).
        for ordering in [SharedKeyStringToSign.HeaderOrdering.service, .ordinal] {
            let stringToSign = SharedKeyStringToSign.make(
                method: request.method, header: { request.header($0) }, msHeaders: msHeaders,
                accountName: account.name, path: request.rawPath, query: request.rawQuery, ordering: ordering
            )
            for key in account.credentials where ConstantTime.equals(key.signatureBytes(for: stringToSign), Array(given)) {
                return
            }
        }
        throw .authenticationFailed("The MAC signature found in the HTTP request is not the same as any computed signature; check the account key.")
    }

}
