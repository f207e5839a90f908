import AzureStorage
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
    /// The SAS's permission letters (`sp`).
    case sas(permissions: String)

    /// Whether the request may do what `permission` stands for.
    func allows(_ permission: SASPermission) -> Bool {
        switch self {
        case .sharedKey: true
        case .sas(let permissions): permissions.contains(permission.rawValue)
        }
    }
}

/// Verifies Shared Key signatures and service SAS tokens. Anything else is 403.
struct RequestAuthenticator: Sendable {
    let accounts: [String: StorageAccount]
    let maximumClockSkew: TimeInterval

    init(accounts: [StorageAccount], maximumClockSkew: Duration) {
        var map: [String: StorageAccount] = [:]
        for account in accounts { map[account.name] = account }
        self.accounts = map
        self.maximumClockSkew = Double(maximumClockSkew.components.seconds)
    }

    /// Throws 403 unless the request is signed with a key of its account, or carries a valid SAS
    /// for `resource` that grants `permission`.
    @discardableResult
    func authenticate(_ request: StorageHTTPRequest, resource: SASResource?, permission: SASPermission) throws(StorageServiceError) -> Grant {
        try authenticate(request, resource: resource, anyOf: [permission])
    }

    /// Throws 403 unless the request is signed with a key of its account, or carries a valid SAS
    /// for `resource` that grants at least one of `permissions`; returns what was granted (the
    /// operation may depend on it: `c` alone creates but never overwrites).
    @discardableResult
    func authenticate(_ request: StorageHTTPRequest, resource: SASResource?, anyOf permissions: [SASPermission]) throws(StorageServiceError) -> Grant {
        guard let account = accounts[request.account] else {
            throw .authenticationFailed("The account '\(request.account.prefix(64))' does not exist on this service; check AccountName and the endpoint URL.")
        }
        if let authorization = request.header("authorization") {
            try verifySharedKey(authorization, request: request, account: account)
            return .sharedKey
        } else if request.query["sig"] != nil {
            try verifySAS(request, account: account, resource: resource, anyOf: permissions)
            return .sas(permissions: request.query["sp"] ?? "")
        } else {
            throw .authenticationFailed("The request carries neither an Authorization header nor a SAS; anonymous access is not enabled.")
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
            for key in account.credentials where Self.constantTimeEqual(key.signatureBytes(for: stringToSign), Array(given)) {
                return
            }
        }
        throw .authenticationFailed("The MAC signature found in the HTTP request is not the same as any computed signature; check the account key.")
    }

    private func verifySAS(_ request: StorageHTTPRequest, account: StorageAccount, resource: SASResource?, anyOf permissions: [SASPermission]) throws(StorageServiceError) {
        let query = request.query
        if query["ss"] != nil || query["srt"] != nil {
            throw .authenticationFailed("Account SAS tokens are not supported by the built-in service; use a service SAS (e.g. generate_blob_sas).")
        }
        if query["si"] != nil {
            throw .authenticationFailed("Stored access policies (si) are not supported by the built-in service.")
        }
        if query["skoid"] != nil {
            throw .authenticationFailed("User delegation SAS tokens are not supported by the built-in service.")
        }
        guard let resource else {
            throw .authenticationFailed("This operation cannot be authorised with a service SAS.")
        }
        var fields = ServiceSASStringToSign.Fields(query: query)
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
              account.credentials.contains(where: { Self.constantTimeEqual($0.signatureBytes(for: stringToSign), Array(given)) })
        else {
            throw .authenticationFailed("Signature did not match: the SAS was not made for this resource with this account's key, or was altered.")
        }
        let now = Date()
        guard let expiry = StorageDate.parseISO8601(fields.expiry) else {
            throw .authenticationFailed("The SAS has no valid expiry (se).")
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
        if !fields.ip.isEmpty {
            guard let range = SASAddressRange(fields.ip) else {
                throw .authenticationFailed("The SAS IP range sip='\(fields.ip.prefix(40))' is not an IPv4 address or range.")
            }
            guard let client = request.clientIPv4, range.contains(client) else {
                throw StorageServiceError(403, "AuthorizationSourceIPMismatch", "This request is not authorized: the SAS allows only the addresses \(fields.ip.prefix(40)).")
            }
        }
        if !fields.protocols.isEmpty, !fields.protocols.split(separator: ",").contains("http") {
            throw StorageServiceError(403, "AuthorizationProtocolMismatch", "This SAS allows HTTPS only, and this service is plain HTTP.")
        }
        guard permissions.contains(where: { fields.permissions.contains($0.rawValue) }) else {
            let letters = permissions.map { "'\($0.rawValue)'" }.joined(separator: " or ")
            throw StorageServiceError(
                403, "AuthorizationPermissionMismatch",
                "This request is not authorized to perform this operation using this permission: the SAS lacks \(letters)."
            )
        }
    }

    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
