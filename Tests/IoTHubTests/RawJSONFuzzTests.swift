import Foundation
@testable import IoTHub
import Testing
import TestSupport

/// Damaged direct-method bodies through `RawJSON`: it answers every one (no crash, no hang), never
/// accepts what a JSON parser refuses, and the members it hands back are in bounds and are
/// themselves well-formed values.
@Suite struct RawJSONFuzzTests {
    static let seeds = [
        #"{"methodName":"ProcessRequest","payload":{"requestId":"a1","labels":["coffee mug",3.5e-1,true,null]},"responseTimeoutInSeconds":30,"connectTimeoutInSeconds":0}"#,
        #"{"status":200,"payload":{"ok":true,"reason":"queued \"now\" \u00fc\ud83d\ude00"}}"#,
        #"[{"a":[[{"b":-0.0}]]},"\\\/\b\f\n\r\t",1E+2]"#,
    ]

    @Test func damagedBodiesAreAnsweredAndNeverAcceptedWhenInvalid() throws {
        var generator = SplitMix64(seed: 0x5EED_0016)
        var accepted = 0
        for round in 0..<20_000 {
            let seed = Array(Self.seeds[round % Self.seeds.count].utf8)
            let bytes = ByteMutator.mutate(seed, using: &generator)
            guard RawJSON.isValid(bytes) else { continue }
            accepted += 1
            let parsed = try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)
            #expect(parsed != nil, "accepted what JSONSerialization refuses: \(String(decoding: bytes, as: UTF8.self).debugDescription) \(Array(bytes))")
            if let members = RawJSON.objectMembers(bytes) {
                for (key, range) in members {
                    #expect(range.lowerBound >= 0 && range.upperBound <= bytes.count, "member \(key) out of bounds")
                    #expect(RawJSON.isValid(bytes[range]), "member \(key) is not a value by itself")
                }
            }
        }
        #expect(accepted > 0, "the mutations never kept a document valid: the test checks nothing")
    }

    @Test func deepOrLongInputIsRefusedOrReadWithoutCrashing() {
        let deepObjects = String(repeating: #"{"a":"#, count: 100_000) + "1" + String(repeating: "}", count: 100_000)
        #expect(!RawJSON.isValid(Array(deepObjects.utf8)))
        #expect(RawJSON.objectMembers(Array(deepObjects.utf8)) == nil)
        let unterminated = "\"" + String(repeating: "\\u00", count: 50_000)
        #expect(RawJSON.string(Array(unterminated.utf8)) == nil)
        let longNumber = String(repeating: "9", count: 100_000)
        // Read as infinity, which the hub's timeouts and the client's status check bound or refuse.
        #expect(RawJSON.number(Array(longNumber.utf8))?.isInfinite == true)
    }
}
