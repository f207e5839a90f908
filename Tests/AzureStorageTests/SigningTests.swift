import AzureStorage
import Foundation
import TestSupport
import Testing

@Suite("Shared Key and SAS signing")
struct SigningTests {
    @Test("header collation: '-' ignored at first, '_' before digits (the service's order, not ordinal)")
    func headerOrder() {
        let names = ["x-ms-meta-a1", "x-ms-meta-a_", "x-ms-date", "x-ms-version", "x-ms-client-request-id", "x-ms-blob-type", "x-ms-meta-B"]
        let sorted = names.sorted(by: SharedKeyHeaderOrder.areInIncreasingOrder)
        #expect(sorted == ["x-ms-blob-type", "x-ms-client-request-id", "x-ms-date", "x-ms-meta-a_", "x-ms-meta-a1", "x-ms-meta-B", "x-ms-version"])
        #expect(["x-ms-meta-a1", "x-ms-meta-a_"].sorted() == ["x-ms-meta-a1", "x-ms-meta-a_"], "ordinal order differs")
        #expect(SharedKeyHeaderOrder.areInIncreasingOrder("ab", "a-c"))
        #expect(!SharedKeyHeaderOrder.areInIncreasingOrder("abc", "abc"))
    }

    @Test("string to sign matches the layout the Python SDK sends (path-style: account twice)")
    func stringToSign() {
        let headers = ["content-length": "130", "content-type": "application/xml"]
        let ms: [(name: String, value: String)] = [
            ("x-ms-version", "2026-10-06"), ("x-ms-date", "Sun, 29 Nov 2026 00:19:03 GMT"), ("x-ms-client-request-id", "7b75"),
        ]
        let text = SharedKeyStringToSign.make(
            method: "POST", header: { headers[$0] }, msHeaders: ms, accountName: "devstoreaccount1",
            path: "/devstoreaccount1/jobs/messages", query: nil
        )
        #expect(text == "POST\n\n\n130\n\napplication/xml\n\n\n\n\n\n\nx-ms-client-request-id:7b75\nx-ms-date:Sun, 29 Nov 2026 00:19:03 GMT\nx-ms-version:2026-10-06\n/devstoreaccount1/devstoreaccount1/jobs/messages")
        let list = SharedKeyStringToSign.canonicalizedResource(
            accountName: "devstoreaccount1", path: "/devstoreaccount1/data", query: "restype=container&comp=list&maxresults=1&marker=dir%2Fsub%2Fx.txt"
        )
        #expect(list == "/devstoreaccount1/devstoreaccount1/data\ncomp:list\nmarker:dir/sub/x.txt\nmaxresults:1\nrestype:container")
        let zero = SharedKeyStringToSign.make(method: "PUT", header: { $0 == "content-length" ? "0" : nil }, msHeaders: [], accountName: "a", path: "/a/q", query: nil)
        #expect(zero.hasPrefix("PUT\n\n\n\n"), "Content-Length 0 is signed as an empty line")
    }

    @Test("blob SAS string to sign matches the captured Python layout; signature is HMAC-SHA256")
    func sas() throws {
        var fields = ServiceSASStringToSign.Fields()
        fields.permissions = "r"
        fields.expiry = "2026-11-29T01:19:04Z"
        fields.version = "2026-10-06"
        fields.resource = "b"
        let text = try #require(ServiceSASStringToSign.blob(fields, canonicalResource: "/blob/devstoreaccount1/data/dir/sub/x.txt"))
        // sp, st, se, resource, si, sip, spr, sv, sr, snapshot, ses, rscc, rscd, rsce, rscl, rsct (16 fields);
        // the Python conformance test checks the same layout against the real SDK's SAS.
        let expected = ["r", "", "2026-11-29T01:19:04Z", "/blob/devstoreaccount1/data/dir/sub/x.txt", "", "", "", "2026-10-06", "b", "", "", "", "", "", "", ""]
        #expect(text == expected.joined(separator: "\n"))
        fields.version = "2019-02-02"
        #expect(ServiceSASStringToSign.blob(fields, canonicalResource: "/r")?.split(separator: "\n", omittingEmptySubsequences: false).count == 15)
        fields.version = "2012-02-12"
        #expect(ServiceSASStringToSign.blob(fields, canonicalResource: "/r") == nil)
        // RFC 4231 test case 2 (key "Jefe"): a known HMAC-SHA256 value.
        let credential = try StorageSharedKeyCredential(accountName: "a", accountKey: Data("Jefe".utf8).base64EncodedString())
        let mac = credential.signatureBytes(for: "what do ya want for nothing?").map { String(format: "%02x", $0) }.joined()
        #expect(mac == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("SAS URL of a blob carries sv, se, sr=b, sp and a signature; permissions are canonical")
    func sasURL() throws {
        let blob = BlobClient(connectionString: .development, containerName: "data", blobName: "dir/a b.json")
        let url = try blob.sasURL(permissions: [.write, .read, .create], expiresOn: Date(timeIntervalSince1970: 1_900_000_000))
        let text = url.absoluteString
        #expect(text.hasPrefix("http://127.0.0.1:10000/devstoreaccount1/data/dir/a%20b.json?sv="))
        #expect(text.contains("se=2030-03-17T17%3A46%3A40Z"))
        #expect(text.contains("sr=b&sp=rcw&sig="))
        let anonymous = StorageConnectionString(accountName: "a", blobEndpoint: URL(string: "http://127.0.0.1:1/a")!, queueEndpoint: URL(string: "http://127.0.0.1:2/a")!, credential: .anonymous)
        #expect(throws: StorageConfigurationError.self) {
            try BlobClient(connectionString: anonymous, containerName: "c", blobName: "b").sasURL(permissions: .readOnly, expiresOn: Date())
        }
    }

    @Test("dates: RFC 1123 and ISO 8601 round-trip; malformed dates are nil")
    func dates() throws {
        let date = Date(timeIntervalSince1970: 1_795_911_543)
        #expect(StorageDate.rfc1123(date) == "Sun, 29 Nov 2026 00:19:03 GMT")
        #expect(StorageDate.parseRFC1123("Sun, 29 Nov 2026 00:19:03 GMT") == date)
        #expect(StorageDate.iso8601(date) == "2026-11-29T00:19:03Z")
        #expect(StorageDate.parseISO8601("2026-11-29T00:19:03Z") == date)
        #expect(StorageDate.parseISO8601("2026-11-29T00:19Z") == Date(timeIntervalSince1970: 1_795_911_540))
        #expect(StorageDate.parseISO8601("2026-11-29T00:19:03.5000000Z") == Date(timeIntervalSince1970: 1_795_911_543.5))
        #expect(StorageDate.parseISO8601("2026-11-29") == Date(timeIntervalSince1970: 1_795_910_400))
        for bad in ["", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-29T25:00:00Z", "2026-11-29T00:00:00", "x"] {
            #expect(StorageDate.parseISO8601(bad) == nil, "\(bad)")
        }
        for bad in ["", "Sun, 29 Nov 2026", "Sun, 32 Nov 2026 00:19:03 GMT", "Sun, 29 Foo 2026 00:19:03 GMT", "Sun, 29 Nov 2026 00:61:03 GMT"] {
            #expect(StorageDate.parseRFC1123(bad) == nil, "\(bad)")
        }
    }

    @Test("RFC 1123: the byte-level fast path agrees with the general parser over four centuries")
    func rfc1123FastPathAgrees() {
        var rng = SplitMix64(seed: 0xDA7E)
        for _ in 0..<20_000 {
            // 1601-01-01 … 9999-12-31, whole seconds.
            let seconds = Int64.random(in: -11_644_473_600...253_402_300_799, using: &rng)
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            let text = StorageDate.rfc1123(date)
            #expect(StorageDate.parseRFC1123(text) == date, "\(text)")
            // The general path (UTC instead of GMT) reads the same instant.
            #expect(StorageDate.parseRFC1123(text.dropLast(3) + "UTC") == date, "\(text)")
        }
        for bad in ["Fri, 29 Feb 2019 00:00:00 GMT", "Tue, 31 Apr 2026 00:00:00 GMT", "Sun, 29 Nov 2026 24:00:00 GMT", "Sun, 29 Nov 1600 00:00:00 GMT", "Sun, 29 nov 2026 00:19:03 GMT"] {
            #expect(StorageDate.parseRFC1123(bad) == nil, "\(bad)")
        }
        #expect(StorageDate.parseRFC1123("Thu, 29 Feb 2024 12:00:00 GMT") == Date(timeIntervalSince1970: 1_709_208_000))
    }
}
