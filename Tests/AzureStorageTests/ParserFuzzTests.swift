import AzureStorage
import Foundation
import TestSupport
import Testing

/// Mutations of valid inputs: byte flips, insertions of structural characters, truncation,
/// duplication and splicing. Bounded in count; every input must parse or throw, never crash or hang.
enum Mutator {
    static let interesting: [[UInt8]] = ["<", ">", "/", "&", ";", "=", "\"", "'", "<!--", "]]>", "<![CDATA[", "&#x0;", "&#1114112;", "&lt", "\u{0}", "\u{FEFF}", "é", "\u{FF}"]
        .map { Array($0.utf8) } + [[0xFF], [0xC3], [0xED, 0xA0, 0x80]]

    static func mutate(_ input: [UInt8], using rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 1:
                let piece = interesting[Int.random(in: 0..<interesting.count, using: &rng)]
                bytes.insert(contentsOf: piece, at: Int.random(in: 0...bytes.count, using: &rng))
            case 2 where !bytes.isEmpty:
                bytes.removeLast(Int.random(in: 0...bytes.count, using: &rng))
            case 3 where !bytes.isEmpty:
                let start = Int.random(in: 0..<bytes.count, using: &rng)
                let end = Int.random(in: start...bytes.count, using: &rng)
                bytes.insert(contentsOf: bytes[start..<end], at: Int.random(in: 0...bytes.count, using: &rng))
            case 4 where !bytes.isEmpty:
                let start = Int.random(in: 0..<bytes.count, using: &rng)
                bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...8, using: &rng)))
            default:
                bytes.append(contentsOf: (0..<Int.random(in: 1...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            }
        }
        return bytes
    }
}

@Suite("Parser fuzzing (bounded)")
struct ParserFuzzTests {
    static let xmlSeeds = [
        "<?xml version='1.0' encoding='utf-8'?>\n<QueueMessage><MessageText>hello &lt;world&gt; &amp; ünïcode</MessageText></QueueMessage>",
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessagesList><QueueMessage><MessageId>id</MessageId><InsertionTime>Sun, 29 Nov 2026 00:19:03 GMT</InsertionTime><DequeueCount>1</DequeueCount><MessageText>x</MessageText></QueueMessage></QueueMessagesList>",
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"http://127.0.0.1:10000/devstoreaccount1/\" ContainerName=\"data\"><Blobs><Blob><Name>a</Name><Properties><Content-Length>7</Content-Length></Properties><Metadata><k>v</k></Metadata></Blob><BlobPrefix><Name>dir/</Name></BlobPrefix></Blobs><NextMarker /></EnumerationResults>",
        "<BlockList><Latest>QUFB</Latest><Uncommitted>QkJC</Uncommitted><!-- c --><Committed><![CDATA[Q0ND]]></Committed></BlockList>",
        "<Error><Code>QueueNotFound</Code><Message>The specified queue does not exist.\nRequestId:1\nTime:t</Message></Error>",
    ]

    @Test("the valid seeds parse to the expected trees")
    func seeds() throws {
        let message = try StorageXMLReader.parse(Self.xmlSeeds[0])
        #expect(message.name == "QueueMessage")
        #expect(message.childText("MessageText") == "hello <world> & ünïcode")
        let list = try StorageXMLReader.parse(Self.xmlSeeds[2])
        #expect(list.attributes["ContainerName"] == "data")
        #expect(list.child("Blobs")?.children.map(\.name) == ["Blob", "BlobPrefix"])
        let blocks = try StorageXMLReader.parse(Self.xmlSeeds[3])
        #expect(blocks.children.map(\.text) == ["QUFB", "QkJC", "Q0ND"])
        var writer = StorageXMLWriter()
        writer.element("T", "a<b>&\"'\r\u{1F600}")
        let back = try StorageXMLReader.parse(writer.text)
        #expect(back.text == "a<b>&\"'\r\u{1F600}")
    }

    @Test("hostile XML is refused: DOCTYPE, deep nesting, unknown entities, mismatched tags")
    func hostile() {
        let bad = [
            "<!DOCTYPE lolz [<!ENTITY lol \"lol\">]><a>&lol;</a>", String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100),
            "<a>&unknown;</a>", "<a></b>", "<a b='1' b='2'/>", "<a>", "", "<a/><b/>", "<a>&#0;</a>", "<a>&#xD800;</a>", "<1a/>",
        ]
        for text in bad {
            #expect(throws: StorageXMLError.self, "\(text.prefix(40))") { try StorageXMLReader.parse(text) }
        }
    }

    @Test("20,000 mutated XML documents: each parses or throws StorageXMLError")
    func mutatedXML() {
        var rng = SplitMix64(seed: 0x5EED_0001)
        var parsed = 0
        var refused = 0
        for round in 0..<20_000 {
            let seed = Array(Self.xmlSeeds[round % Self.xmlSeeds.count].utf8)
            let input = Mutator.mutate(seed, using: &rng)
            do {
                let root = try StorageXMLReader.parse(input)
                #expect(!root.name.isEmpty)
                parsed += 1
            } catch {
                refused += 1
            }
        }
        #expect(parsed > 0 && refused > 0, "the mutations should produce both outcomes (parsed \(parsed), refused \(refused))")
    }

    @Test("random bytes never crash the XML parser")
    func randomXML() {
        var rng = SplitMix64(seed: 0x5EED_0002)
        for _ in 0..<5_000 {
            let length = Int.random(in: 0...256, using: &rng)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try? StorageXMLReader.parse([UInt8(ascii: "<")] + bytes)
        }
    }

    @Test("20,000 mutated connection strings: each parses or throws StorageConfigurationError")
    func mutatedConnectionStrings() {
        let seeds = [
            "UseDevelopmentStorage=true",
            "DefaultEndpointsProtocol=https;AccountName=myacct;AccountKey=\(StorageConnectionString.developmentAccountKey);EndpointSuffix=core.windows.net",
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=\(StorageConnectionString.developmentAccountKey);BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;",
            "BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=sv=2024-11-04&sr=c&sp=rl&sig=abc",
        ]
        var rng = SplitMix64(seed: 0x5EED_0003)
        var parsed = 0
        var refused = 0
        for round in 0..<20_000 {
            let input = Mutator.mutate(Array(seeds[round % seeds.count].utf8), using: &rng)
            let text = String(decoding: input, as: UTF8.self)
            do {
                let result = try StorageConnectionString(text)
                #expect(!result.accountName.isEmpty)
                #expect(result.blobEndpoint.scheme == "http" || result.blobEndpoint.scheme == "https")
                parsed += 1
            } catch {
                #expect(!error.message.isEmpty)
                refused += 1
            }
        }
        #expect(parsed > 0 && refused > 0, "parsed \(parsed), refused \(refused)")
        #expect(throws: StorageConfigurationError.self) { try StorageConnectionString(String(repeating: "a=b;", count: 10_000)) }
    }
}
