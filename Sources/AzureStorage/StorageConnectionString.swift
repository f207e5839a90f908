public import Foundation

/// A parsed Azure Storage connection string: endpoints for Blob and Queue plus the credential.
///
/// Accepts every form Azure documents: `AccountName`/`AccountKey` with `DefaultEndpointsProtocol`
/// and `EndpointSuffix`; explicit `BlobEndpoint`/`QueueEndpoint` (path-style emulator URLs
/// included); `SharedAccessSignature`; and `UseDevelopmentStorage=true`. Keys are matched
/// case-insensitively and a trailing `;` is allowed, as in the official SDKs.
public struct StorageConnectionString: Sendable, Hashable, CustomStringConvertible {
    /// How requests are authorised.
    public enum Credential: Sendable, Hashable {
        /// Shared Key: every request is signed with the account key.
        case sharedKey(StorageSharedKeyCredential)
        /// A SAS token (query string without the leading `?`) appended to every request.
        case sharedAccessSignature(String)
        /// No credential (public containers only).
        case anonymous
    }

    /// The well-known development account name of the storage emulators.
    public static let developmentAccountName = "devstoreaccount1"
    /// The well-known development account key of the storage emulators (public; not a secret).
    public static let developmentAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

    /// `UseDevelopmentStorage=true`: the development account on 127.0.0.1:10000 (blob) and :10001 (queue).
    public static let development: StorageConnectionString = .makeDevelopment(host: "127.0.0.1")

    /// Base URL of the Blob service, without a trailing slash (path-style URLs include the account).
    public var blobEndpoint: URL
    /// Base URL of the Queue service, without a trailing slash.
    public var queueEndpoint: URL
    /// The storage account name.
    public var accountName: String
    /// How requests are authorised.
    public var credential: Credential

    /// Parses a connection string.
    /// - Throws: ``StorageConfigurationError`` saying which part is wrong and how to fix it.
    public init(_ string: String) throws(StorageConfigurationError) {
        let fields = try Self.fields(of: string)
        if let dev = fields["usedevelopmentstorage"] {
            guard dev.lowercased() == "true" else {
                throw StorageConfigurationError("UseDevelopmentStorage must be 'true' (got '\(dev)'); remove it to use a real account.")
            }
            var host = "127.0.0.1"
            if let proxy = fields["developmentstorageproxyuri"] {
                guard let url = URL(string: proxy), let proxyHost = url.host, !proxyHost.isEmpty else {
                    throw StorageConfigurationError("DevelopmentStorageProxyUri '\(proxy)' is not a URL like http://127.0.0.1.")
                }
                host = proxyHost
            }
            self = Self.makeDevelopment(host: host)
            return
        }

        let scheme = (fields["defaultendpointsprotocol"] ?? "https").lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw StorageConfigurationError("DefaultEndpointsProtocol must be 'https' or 'http' (got '\(scheme)').")
        }
        let suffix = fields["endpointsuffix"] ?? "core.windows.net"
        guard !suffix.isEmpty, !suffix.contains("/") else {
            throw StorageConfigurationError("EndpointSuffix '\(suffix)' must be a host suffix such as core.windows.net.")
        }
        var blob = try fields["blobendpoint"].map { value throws(StorageConfigurationError) in try Self.endpoint(value, key: "BlobEndpoint") }
        var queue = try fields["queueendpoint"].map { value throws(StorageConfigurationError) in try Self.endpoint(value, key: "QueueEndpoint") }

        var account = fields["accountname"]
        if let name = account {
            guard Self.isPlausibleAccountName(name) else {
                throw StorageConfigurationError("AccountName '\(name)' is not a storage account name (letters, digits and '-', 1–64 characters).")
            }
        }
        if account == nil {
            account = (blob ?? queue).flatMap(Self.accountName(from:))
        }
        guard let accountName = account else {
            throw StorageConfigurationError(
                "the connection string names no account: add AccountName=<name>;AccountKey=<key>, or BlobEndpoint=/QueueEndpoint=, or use UseDevelopmentStorage=true."
            )
        }
        if blob == nil, let derived = queue.flatMap({ Self.sibling(of: $0, from: "queue", to: "blob") }) { blob = derived }
        if queue == nil, let derived = blob.flatMap({ Self.sibling(of: $0, from: "blob", to: "queue") }) { queue = derived }
        if blob == nil, fields["accountname"] != nil {
            blob = URL(string: "\(scheme)://\(accountName).blob.\(suffix)")
        }
        if queue == nil, fields["accountname"] != nil {
            queue = URL(string: "\(scheme)://\(accountName).queue.\(suffix)")
        }
        guard let blobEndpoint = blob, let queueEndpoint = queue else {
            throw StorageConfigurationError(
                "cannot work out both endpoints: add BlobEndpoint=<url> and QueueEndpoint=<url>, or AccountName with EndpointSuffix."
            )
        }

        let credential: Credential
        if let key = fields["accountkey"] {
            guard fields["accountname"] != nil else {
                throw StorageConfigurationError("AccountKey is given without AccountName: add AccountName=<name>.")
            }
            credential = .sharedKey(try StorageSharedKeyCredential(accountName: accountName, accountKey: key))
        } else if var sas = fields["sharedaccesssignature"] {
            if sas.hasPrefix("?") { sas.removeFirst() }
            guard sas.contains("sig=") else {
                throw StorageConfigurationError("SharedAccessSignature has no sig= parameter: paste the whole SAS token (sv=...&sig=...).")
            }
            credential = .sharedAccessSignature(sas)
        } else {
            credential = .anonymous
        }
        self.init(accountName: accountName, blobEndpoint: blobEndpoint, queueEndpoint: queueEndpoint, credential: credential)
    }

    /// Builds a connection string from parts (endpoints without a trailing slash).
    public init(accountName: String, blobEndpoint: URL, queueEndpoint: URL, credential: Credential) {
        self.accountName = accountName
        self.blobEndpoint = Self.trimmed(blobEndpoint)
        self.queueEndpoint = Self.trimmed(queueEndpoint)
        self.credential = credential
    }

    /// The connection string in the explicit form every Azure SDK understands
    /// (`DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…;BlobEndpoint=…;QueueEndpoint=…;`).
    /// Contains the key: do not log it.
    public var connectionString: String {
        var parts = ["DefaultEndpointsProtocol=\(blobEndpoint.scheme ?? "https")", "AccountName=\(accountName)"]
        switch credential {
        case .sharedKey(let key): parts.append("AccountKey=\(key.accountKey)")
        case .sharedAccessSignature(let sas): parts.append("SharedAccessSignature=\(sas)")
        case .anonymous: break
        }
        parts.append("BlobEndpoint=\(blobEndpoint.absoluteString)")
        parts.append("QueueEndpoint=\(queueEndpoint.absoluteString)")
        return parts.joined(separator: ";") + ";"
    }

    /// A description with the key and SAS signature left out, safe for logs.
    public var description: String {
        let auth: String
        switch credential {
        case .sharedKey: auth = "shared key"
        case .sharedAccessSignature: auth = "SAS"
        case .anonymous: auth = "anonymous"
        }
        return "storage account \(accountName) (blob \(blobEndpoint.absoluteString), queue \(queueEndpoint.absoluteString), \(auth))"
    }

    /// The shared key credential, if the connection string has an account key.
    public var sharedKey: StorageSharedKeyCredential? {
        if case .sharedKey(let key) = credential { return key }
        return nil
    }

    // MARK: Parsing helpers

    static let maximumLength = 16 * 1024

    static func fields(of string: String) throws(StorageConfigurationError) -> [String: String] {
        guard string.utf8.count <= maximumLength else {
            throw StorageConfigurationError("the connection string is longer than \(maximumLength) bytes; check that the right value was passed.")
        }
        var result: [String: String] = [:]
        for (index, rawPart) in string.split(separator: ";", omittingEmptySubsequences: false).enumerated() {
            let part = rawPart.trimmingCharacters(in: .whitespacesAndNewlines)
            if part.isEmpty { continue }
            guard let equals = part.firstIndex(of: "=") else {
                throw StorageConfigurationError("part \(index + 1) of the connection string has no '=': use Key=Value pairs separated by ';'.")
            }
            let key = part[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = part[part.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else {
                throw StorageConfigurationError("part \(index + 1) of the connection string has an empty key before '='.")
            }
            guard result[key] == nil else {
                throw StorageConfigurationError("'\(part[..<equals])' appears twice in the connection string; keep one.")
            }
            result[key] = value
        }
        guard !result.isEmpty else {
            throw StorageConfigurationError("the connection string is empty: use UseDevelopmentStorage=true or AccountName=…;AccountKey=….")
        }
        return result
    }

    static func endpoint(_ value: String, key: String) throws(StorageConfigurationError) -> URL {
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty, url.query == nil
        else {
            throw StorageConfigurationError("\(key) '\(value)' is not an http(s) URL like https://account.blob.core.windows.net or http://127.0.0.1:10000/devstoreaccount1.")
        }
        return trimmed(url)
    }

    static func trimmed(_ url: URL) -> URL {
        var text = url.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text) ?? url
    }

    /// Path-style hosts (IP addresses, localhost) carry the account as the first path segment;
    /// production hosts carry it as the first DNS label.
    static func accountName(from url: URL) -> String? {
        guard let host = url.host else { return nil }
        if isPathStyle(host: host) {
            return url.path.split(separator: "/").first.map(String.init)
        }
        return host.split(separator: ".").first.map(String.init)
    }

    static func isPathStyle(host: String) -> Bool {
        host == "localhost" || host.hasPrefix("localhost.") || host.contains(":")
            || host.allSatisfy { $0.isNumber || $0 == "." } || host == "host.docker.internal"
    }

    /// The other service's endpoint: `.blob.` ↔ `.queue.` for production hosts, port 10000 ↔ 10001
    /// for the emulator's path-style endpoints.
    static func sibling(of url: URL, from: String, to: String) -> URL? {
        guard let host = url.host else { return nil }
        if isPathStyle(host: host) {
            let ports = ["blob": 10000, "queue": 10001]
            guard let port = url.port, port == ports[from], let newPort = ports[to],
                  var components = URLComponents(url: url, resolvingAgainstBaseURL: false)
            else { return nil }
            components.port = newPort
            return components.url
        }
        guard host.contains(".\(from).") else { return nil }
        return URL(string: url.absoluteString.replacingOccurrences(of: ".\(from).", with: ".\(to)."))
    }

    static func isPlausibleAccountName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D
        }
    }

    static func makeDevelopment(host: String) -> StorageConnectionString {
        // The key is a compile-time constant known to be valid base64.
        let credential: Credential
        if let key = try? StorageSharedKeyCredential(accountName: developmentAccountName, accountKey: developmentAccountKey) {
            credential = .sharedKey(key)
        } else {
            credential = .anonymous
        }
        return StorageConnectionString(
            accountName: developmentAccountName,
            blobEndpoint: URL(string: "http://\(host):10000/\(developmentAccountName)") ?? URL(fileURLWithPath: "/"),
            queueEndpoint: URL(string: "http://\(host):10001/\(developmentAccountName)") ?? URL(fileURLWithPath: "/"),
            credential: credential
        )
    }
}
