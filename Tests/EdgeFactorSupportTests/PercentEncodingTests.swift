import EdgeFactorSupport
import Testing

/// The one percent-encoder that Azure Storage (paths, queries, Shared Key) and IoT Hub (SAS
/// tokens, topic property bags, paths) share.
@Suite("PercentEncoding")
struct PercentEncodingTests {
    @Test("percent-encoding keeps unreserved characters and, for blob names, '/'")
    func percentEncoding() {
        #expect(PercentEncoding.encode("dir/a b+c ü.json", keepSlash: true) == "dir/a%20b%2Bc%20%C3%BC.json")
        #expect(PercentEncoding.encode("a/b") == "a%2Fb")
        #expect(PercentEncoding.decodeLenient("a%20b+c%2") == "a b+c%2")
        #expect(PercentEncoding.decode("%ZZ") == nil)
        #expect(PercentEncoding.decode("%FF") == nil, "not UTF-8")
    }

    @Test("encoding: only A-Z a-z 0-9 - . _ ~ stay, upper-case hex, space is %20")
    func encodesEverythingButTheUnreservedSet() {
        #expect(PercentEncoding.encode("AZaz09-._~") == "AZaz09-._~")
        #expect(PercentEncoding.encode("a b+c&d=e/f$g") == "a%20b%2Bc%26d%3De%2Ff%24g")
        #expect(PercentEncoding.encode("ü") == "%C3%BC")
        #expect(PercentEncoding.encode("a/b"[...], keepSlash: true) == "a/b")
    }

    @Test("strict decoding: either hex case, '+' stays '+' unless plusIsSpace, nil for a broken escape")
    func decodesStrictly() {
        #expect(PercentEncoding.decode("a%2fb%2Fc") == "a/b/c")
        #expect(PercentEncoding.decode("a+b") == "a+b")
        #expect(PercentEncoding.decode("a+b%2B", plusIsSpace: true) == "a b+")
        #expect(PercentEncoding.decode("plain") == "plain")
        #expect(PercentEncoding.decode("%C3%BC"[...]) == "ü")
        for broken in ["%", "%4", "a%zz", "%G0"] {
            #expect(PercentEncoding.decode(broken) == nil, "\(broken)")
        }
    }

    @Test("lenient decoding keeps malformed escapes literally and never fails")
    func decodesLeniently() {
        #expect(PercentEncoding.decodeLenient("%ZZ%41%") == "%ZZA%")
        #expect(PercentEncoding.decodeLenient("a+b") == "a+b")
        #expect(PercentEncoding.decodeLenient("%FF") == "\u{FFFD}")
    }

    @Test("round trip", arguments: ["", "a b", "dir/ü&=+%", "$.mid=m-1"])
    func roundTrips(_ text: String) {
        #expect(PercentEncoding.decode(PercentEncoding.encode(text)) == text)
        #expect(PercentEncoding.decodeLenient(PercentEncoding.encode(text, keepSlash: true)) == text)
    }
}
