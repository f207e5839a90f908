/// String to sign of a key-signed **service** SAS, for Blob and Queue, by signed version.
/// Shared by the client, which creates SAS URLs, and the built-in service, which verifies them.
package enum ServiceSASStringToSign {
    /// The SAS query parameters that take part in the signature (decoded values).
    package struct Fields: Sendable, Hashable {
        package var permissions = ""          // sp
        package var start = ""                // st
        package var expiry = ""               // se
        package var identifier = ""           // si
        package var ip = ""                   // sip
        package var protocols = ""            // spr
        package var version = ""              // sv
        package var resource = ""             // sr
        package var snapshotTime = ""         // snapshot / version time for sr=bs/bv
        package var encryptionScope = ""      // ses
        package var cacheControl = ""         // rscc
        package var contentDisposition = ""   // rscd
        package var contentEncoding = ""      // rsce
        package var contentLanguage = ""      // rscl
        package var contentType = ""          // rsct

        package init() {}

        /// Reads the fields from decoded query parameters.
        package init(query: [String: String]) {
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
    package static func blob(_ fields: Fields, canonicalResource: String) -> String? {
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
    package static func queue(_ fields: Fields, canonicalResource: String) -> String? {
        guard fields.version.count == 10, fields.version >= "2015-04-05" else { return nil }
        return [fields.permissions, fields.start, fields.expiry, canonicalResource, fields.identifier, fields.ip, fields.protocols, fields.version]
            .joined(separator: "\n")
    }
}
