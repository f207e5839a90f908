import AzureStorage
import Foundation
import Testing

@Suite("Storage connection strings")
struct ConnectionStringTests {
    let key = StorageConnectionString.developmentAccountKey

    @Test("UseDevelopmentStorage=true is the development account on 127.0.0.1:10000/10001")
    func development() throws {
        for text in ["UseDevelopmentStorage=true", "usedevelopmentstorage=TRUE;", " UseDevelopmentStorage = true ; "] {
            let parsed = try StorageConnectionString(text)
            #expect(parsed.accountName == "devstoreaccount1")
            #expect(parsed.blobEndpoint.absoluteString == "http://127.0.0.1:10000/devstoreaccount1")
            #expect(parsed.queueEndpoint.absoluteString == "http://127.0.0.1:10001/devstoreaccount1")
            #expect(parsed.sharedKey?.accountKey == key)
        }
        #expect(StorageConnectionString.development == (try StorageConnectionString("UseDevelopmentStorage=true")))
        let proxied = try StorageConnectionString("UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://127.0.0.2")
        #expect(proxied.queueEndpoint.absoluteString == "http://127.0.0.2:10001/devstoreaccount1")
    }

    @Test("account name, key and endpoint suffix build production endpoints")
    func production() throws {
        let parsed = try StorageConnectionString("DefaultEndpointsProtocol=https;AccountName=myacct;AccountKey=\(key);EndpointSuffix=core.chinacloudapi.cn")
        #expect(parsed.blobEndpoint.absoluteString == "https://myacct.blob.core.chinacloudapi.cn")
        #expect(parsed.queueEndpoint.absoluteString == "https://myacct.queue.core.chinacloudapi.cn")
        let defaults = try StorageConnectionString("AccountName=myacct;AccountKey=\(key)")
        #expect(defaults.blobEndpoint.absoluteString == "https://myacct.blob.core.windows.net")
    }

    @Test("explicit endpoints, path-style included, are used verbatim")
    func explicitEndpoints() throws {
        let text = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=\(key);BlobEndpoint=http://127.0.0.1:40000/devstoreaccount1/;QueueEndpoint=http://127.0.0.1:40001/devstoreaccount1;"
        let parsed = try StorageConnectionString(text)
        #expect(parsed.blobEndpoint.absoluteString == "http://127.0.0.1:40000/devstoreaccount1")
        #expect(parsed.queueEndpoint.absoluteString == "http://127.0.0.1:40001/devstoreaccount1")
        #expect(try StorageConnectionString(parsed.connectionString) == parsed, "render and parse round-trip")
    }

    @Test("a SAS connection string needs no key; the account comes from the endpoint")
    func sharedAccessSignature() throws {
        let parsed = try StorageConnectionString("BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=?sv=2024-11-04&sr=c&sp=rl&sig=abc%2B")
        #expect(parsed.accountName == "acct")
        #expect(parsed.queueEndpoint.absoluteString == "https://acct.queue.core.windows.net")
        #expect(parsed.credential == .sharedAccessSignature("sv=2024-11-04&sr=c&sp=rl&sig=abc%2B"))
        let local = try StorageConnectionString("BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;SharedAccessSignature=sv=x&sig=y")
        #expect(local.accountName == "devstoreaccount1")
        #expect(local.queueEndpoint.absoluteString == "http://127.0.0.1:10001/devstoreaccount1")
    }

    @Test("mistakes are reported with what to fix, never echoing the key", arguments: [
        "", ";;;", "AccountName", "AccountName=a;AccountName=b;AccountKey=AAAA",
        "AccountName=acct;AccountKey=not base64!!", "AccountKey=AAAA", "UseDevelopmentStorage=yes",
        "DefaultEndpointsProtocol=ftp;AccountName=a;AccountKey=AAAA", "BlobEndpoint=notaurl;AccountName=a",
        "SharedAccessSignature=sv=1;BlobEndpoint=https://a.blob.core.windows.net", "=value",
        "AccountName=bad name;AccountKey=AAAA",
    ])
    func errors(text: String) {
        do {
            _ = try StorageConnectionString(text)
            Issue.record("'\(text)' should be refused")
        } catch {
            #expect(!error.message.isEmpty)
            #expect(!error.message.contains("not base64!!"))
        }
    }

    @Test("the description never shows the key")
    func redacted() throws {
        let parsed = try StorageConnectionString("UseDevelopmentStorage=true")
        #expect(!parsed.description.contains(key))
        #expect(!"\(parsed)".contains("Eby8"))
    }
}
