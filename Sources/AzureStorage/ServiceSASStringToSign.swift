/// String to sign of a key-signed **service** SAS, for Blob and Queue, by signed version.
/// Shared by the client, which creates SAS URLs, and the built-in service, which verifies them.
public enum ServiceSASStringToSign {
    /// The SAS query parameters that take part in the signature (decoded values).
    public struct Fields: Sendable, Hashable {
        public var permissions = ""          // sp
        public var start = ""                // st
        public var expiry = ""               // se
        public var identifier = ""           // si
        public var ip = ""                   // sip
        public var protocols = ""            // spr
        public var version = ""              // sv
        public var resource = ""             // sr
        public var snapshotTime = ""         // snapshot / version time for sr=bs/bv
        public var encryptionScope = ""      // ses
        public var cacheControl = ""         // rscc
        public var contentDisposition = ""   // rscd
        public var contentEncoding = ""      // rsce
        public var contentLanguage = ""      // rscl
        public var contentType = ""          // rsct

        public init() {}

        /// Reads the fields from decoded query parameters.
        public init(query: [String: String]) {
            permissions = query["sp"] ?? ""
            start = query["st"] ?? ""
            expiry = query["se"] ?? ""
            identifier = query["si"] ?? ""
            ip = query["sip"] ?? ""
            protocols = query["spr"] ?? ""
            version = query["sv"] ?? ""
            resource = query["sr"] ?? ""
            encryptionScope = query["ses"] ?? ""
            cacheControl = query["rscc"] ?? ""
            contentDisposition = query["rscd"] ?? ""
            contentEncoding = query["rsce"] ?? ""
            contentLanguage = query["rscl"] ?? ""
            contentType = query["rsct"] ?? ""
        }
    }

    /// Blob SAS: canonical resource `/blob/{account}/{container}[/{blob}]` (decoded names).
    /// Layout by `sv`: 2020-12-06+ (16 fields), 2018-11-09…2020-10-02 (15, no `ses`),
    /// 2015-04-05…2018-03-28 (13, no `sr`/snapshot). `nil` for older or unparseable versions.
    public static func blob(_ fields: Fields, canonicalResource: String) -> String? {
        let version = fields.version
        guard version.count == 10, version >= "2015-04-05" else { return nil }
        var parts = [fields.permissions, fields.start, fields.expiry, canonicalResource, fields.identifier, fields.ip, fields.protocols, version]
        if version >= "2018-11-09" {
            parts.append(fields.resource)
            parts.append(fields.snapshotTime)
        }
        if version >= "2020-12-06" {
            parts.append(fields.encryptionScope)
        }
        parts += [fields.cacheControl, fields.contentDisposition, fields.contentEncoding, fields.contentLanguage, fields.contentType]
        return parts.joined(separator: "\n")
    }

    /// Queue SAS: `sp, st, se, /queue/{account}/{queue}, si, sip, spr, sv` (2015-04-05+).
    public static func queue(_ fields: Fields, canonicalResource: String) -> String? {
        guard fields.version.count == 10, fields.version >= "2015-04-05" else { return nil }
        return [fields.permissions, fields.start, fields.expiry, canonicalResource, fields.identifier, fields.ip, fields.protocols, fields.version]
            .joined(separator: "\n")
    }
}
