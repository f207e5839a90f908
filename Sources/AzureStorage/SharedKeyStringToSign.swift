import EdgeFactorSupport

/// Builds the Shared Key string to sign for Blob and Queue requests (versions 2009-09-19 and
/// later). Shared by the client, which signs, and the built-in service, which verifies.
package enum SharedKeyStringToSign {
    /// How the canonicalized `x-ms-*` headers are ordered.
    package enum HeaderOrdering: Sendable {
        /// The service's collation (see ``SharedKeyHeaderOrder``); what Azure and the SDKs use.
        case service
        /// Plain code-point order; some third-party clients sign this way.
        case ordinal
    }

    /// The eleven standard header slots, in order, between the verb and the `x-ms-*` headers.
    package static let standardHeaders = [
        "content-encoding", "content-language", "content-length", "content-md5", "content-type", "date",
        "if-modified-since", "if-match", "if-none-match", "if-unmodified-since", "range",
    ]

    /// - Parameters:
    ///   - method: HTTP verb, upper case.
    ///   - header: value of a standard header by lower-case name, or `nil`.
    ///   - msHeaders: every `x-ms-*` header, names lower-cased.
    ///   - accountName: the account that signs.
    ///   - path: the request path exactly as sent (still percent-encoded). Path-style URLs include
    ///     the account, which then appears twice in the result, as the service expects.
    ///   - query: the raw query string (percent-encoded, without `?`), or `nil`.
    package static func make(
        method: String,
        header: (String) -> String?,
        msHeaders: [(name: String, value: String)],
        accountName: String,
        path: String,
        query: String?,
        ordering: HeaderOrdering = .service
    ) -> String {
        var result = method
        result.reserveCapacity(256 + path.utf8.count)
        result.append("\n")
        for name in standardHeaders {
            var value = header(name) ?? ""
            // Since 2015-02-21 a zero Content-Length is signed as an empty line.
            if name == "content-length", value == "0" { value = "" }
            // x-ms-date replaces Date.
            if name == "date", msHeaders.contains(where: { $0.name == "x-ms-date" }) { value = "" }
            result.append(value)
            result.append("\n")
        }
        let sorted: [(name: String, value: String)]
        switch ordering {
        case .service: sorted = msHeaders.sorted { SharedKeyHeaderOrder.areInIncreasingOrder($0.name, $1.name) }
        case .ordinal: sorted = msHeaders.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        }
        for (name, value) in sorted {
            result.append(name)
            result.append(":")
            result.append(value)
            result.append("\n")
        }
        result.append(canonicalizedResource(accountName: accountName, path: path, query: query))
        return result
    }

    /// `/{account}{path}` followed by `\n{name}:{decoded values joined by ','}` for each query
    /// parameter, names lower-cased and sorted.
    package static func canonicalizedResource(accountName: String, path: String, query: String?) -> String {
        var result = "/" + accountName + (path.isEmpty ? "/" : path)
        guard let query, !query.isEmpty else { return result }
        var parameters: [String: [String]] = [:]
        for pair in query[...].asciiSplit(UInt8(ascii: "&")) {
            let parts = pair.asciiSplit(UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = PercentEncoding.decodeLenient(parts[0]).lowercased()
            let value = parts.count > 1 ? PercentEncoding.decodeLenient(parts[1]) : ""
            parameters[name, default: []].append(value)
        }
        for name in parameters.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let values = (parameters[name] ?? []).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            result.append("\n")
            result.append(name)
            result.append(":")
            result.append(values.joined(separator: ","))
        }
        return result
    }
}
