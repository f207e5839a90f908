import Foundation
@testable import IoTHub
import Testing

/// `RawJSON` replaced `JSONSerialization` on the direct-method path: it must accept and refuse
/// what a JSON parser does (RFC 8259: Foundation's parser also takes trailing commas, this one
/// does not), and hand back the members byte for byte.
@Suite struct RawJSONTests {
    static let valid = [
        "{}", "[]", "0", "-0", "1.5e-3", "-12E+2", "true", "false", "null", "\"\"", " \t\r\n{ } ",
        #"{"a":1,"b":[true,false,null,{"c":"d"}],"e":-0.25}"#, #"["\u00fc\ud83d\ude00\n\"\\\/"]"#,
        #"{"methodName":"ping","payload":{"n":[1,2,{"x":"y"}]},"responseTimeoutInSeconds":30}"#,
        "\"ü ☕\"", #"{"a":{"a":{"a":[[[[]]]]}}}"#,
    ]
    static let invalid = [
        "", " ", "{", "}", "{\"a\"}", "{a:1}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul",
        "\"abc", "\"\\x\"", "\"\\u12G4\"", "\"tab\there\"", "[1 2]", "{\"a\":1 \"b\":2}", "1 2", "{} {}", "'a'", "NaN",
        "[\"\u{01}\"]",
    ]

    @Test func acceptsAndRefusesWhatJSONSerializationDoes() {
        for text in Self.valid {
            #expect(RawJSON.isValid(Array(text.utf8)), "\(text)")
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) != nil, "\(text)")
        }
        for text in Self.invalid {
            #expect(!RawJSON.isValid(Array(text.utf8)), "\(text)")
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) == nil, "\(text)")
        }
        for trailingComma in ["[1,]", "{\"a\":1,}"] {
            #expect(!RawJSON.isValid(Array(trailingComma.utf8)), "\(trailingComma)")
        }
        #expect(!RawJSON.isValid([0x22, 0xFF, 0x22]), "invalid UTF-8 inside a string")
        let deep = String(repeating: "[", count: RawJSON.maximumDepth + 1) + String(repeating: "]", count: RawJSON.maximumDepth + 1)
        #expect(!RawJSON.isValid(Array(deep.utf8)), "nesting beyond the bound")
    }

    @Test func membersAreTheValuesBytesAsSent() throws {
        let text = #"{ "methodName" : "na\"me\u00fc", "payload": {"a": [1, 2]} , "n": 5, "payload": [ 3 ] }"#
        let bytes = Array(text.utf8)
        let members = try #require(RawJSON.objectMembers(bytes))
        func value(_ key: String) throws -> [UInt8] { Array(bytes[try #require(members[key])]) }
        #expect(RawJSON.string(try value("methodName")) == "na\"meü")
        #expect(String(decoding: try value("payload"), as: UTF8.self) == "[ 3 ]", "a repeated key keeps its last value")
        #expect(RawJSON.number(try value("n")) == 5)
        #expect(RawJSON.objectMembers(Array("[1]".utf8)) == nil)
        #expect(RawJSON.objectMembers(Array("{\"a\":}".utf8)) == nil)
    }

    @Test func stringsAndNumbers() {
        #expect(RawJSON.string(Array(#""\ud83d\ude00 \t \/""#.utf8)) == "😀 \t /")
        #expect(RawJSON.string(Array(#""\ud83d""#.utf8)) == nil, "a lone surrogate is refused, as JSONSerialization does")
        #expect(RawJSON.string(Array(#""\ude00x""#.utf8)) == nil)
        #expect(RawJSON.string(Array(#""\ud83d\u0041""#.utf8)) == nil)
        #expect(RawJSON.string(Array("5".utf8)) == nil)
        #expect(RawJSON.number(Array("true".utf8)) == 1)
        #expect(RawJSON.number(Array("false".utf8)) == 0)
        #expect(RawJSON.number(Array("1e300".utf8)) == 1e300)
        #expect(RawJSON.number(Array("\"5\"".utf8)) == nil)
        #expect(RawJSON.number(Array("null".utf8)) == nil)
    }

    @Test func quotedStringsReadBackAsThemselves() throws {
        for value in ["", "plain", "quote \" backslash \\ slash /", "line\nfeed\r\ttab \u{01}\u{1F}", "ü ☕ 😀"] {
            let quoted = RawJSON.quoted(value)
            #expect(RawJSON.string(Array(quoted.utf8)) == value)
            let decoded = try JSONSerialization.jsonObject(with: Data(quoted.utf8), options: .fragmentsAllowed) as? String
            #expect(decoded == value)
        }
    }
}
