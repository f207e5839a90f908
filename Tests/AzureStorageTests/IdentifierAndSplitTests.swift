@testable import AzureStorage
import Testing

@Suite("Sequential identifiers and byte-level splitting")
struct IdentifierAndSplitTests {
    @Test("identifiers are unique, in UUID form, across concurrent callers")
    func identifiers() async {
        let batches = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<8 { group.addTask { (0..<10_000).map { _ in SequentialIdentifier.next() } } }
            return await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(Set(batches).count == 80_000)
        for id in batches.prefix(100) {
            let bytes = Array(id.utf8)
            #expect(bytes.count == 36)
            for (index, byte) in bytes.enumerated() {
                if [8, 13, 18, 23].contains(index) {
                    #expect(byte == UInt8(ascii: "-"), "\(id)")
                } else {
                    #expect((byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66), "\(id)")
                }
            }
        }
    }

    @Test("asciiSplit gives the same pieces as split for ASCII separators")
    func asciiSplit() {
        let samples = ["", "a", "&", "&&", "a&b", "a&&b&", "&a=1&b==2&c", "x=%20&y", "/acct/q/messages/", "é&ü=ö&", "a\u{301}&b"]
        for text in samples {
            for omitting in [true, false] {
                for maxSplits in [1, Int.max] {
                    let expected = text.unicodeScalars.split(separator: "&", maxSplits: maxSplits, omittingEmptySubsequences: omitting).map { String(String.UnicodeScalarView($0)) }
                    let actual = text[...].asciiSplit(UInt8(ascii: "&"), maxSplits: maxSplits, omittingEmptySubsequences: omitting).map(String.init)
                    #expect(actual == expected, "\(text) omitting=\(omitting) maxSplits=\(maxSplits)")
                }
            }
        }
    }
}
