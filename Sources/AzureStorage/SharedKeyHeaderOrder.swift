/// The order in which Azure Storage sorts `x-ms-*` header names in a Shared Key string to sign.
///
/// The service (and every official SDK) does not sort by code point: it uses the .NET
/// culture-invariant comparison, a three-level collation. At the first level `-` and `'` are
/// ignored, letters compare case-insensitively, and punctuation such as `_` sorts before digits;
/// the second level breaks ties on letter case; the third on the ignored `'`/`-` characters.
/// So `x-ms-meta-a_` sorts before `x-ms-meta-a1`, where a plain ordinal sort puts it after.
/// Written from that description (hand-written: no Swift library provides this collation).
package enum SharedKeyHeaderOrder {
    /// `true` if `lhs` sorts before `rhs`.
    package static func areInIncreasingOrder(_ lhs: String, _ rhs: String) -> Bool {
        compare(Array(lhs.utf8), Array(rhs.utf8)) < 0
    }

    /// Primary (first-level) order of the characters that carry a primary weight; everything
    /// else (including `-` and `'`) is ignorable at this level. Letters fold to lower case.
    private static let primaryOrder: [UInt8] = Array("!#$%&*.^_`|~+0123456789abcdefghijklmnopqrstuvwxyz".utf8)

    private static let primaryWeights: [Int] = {
        var weights = [Int](repeating: 0, count: 128)
        for (rank, byte) in primaryOrder.enumerated() {
            weights[Int(byte)] = 2 + rank
            if byte >= 0x61, byte <= 0x7A { weights[Int(byte) - 0x20] = 2 + rank }
        }
        return weights
    }()

    /// Weight of `byte` at `level`: 0 means "ignorable at this level"; 1 is reserved for the end
    /// of the string, which sorts before any character.
    private static func weight(_ byte: UInt8, level: Int) -> Int {
        guard byte < 128 else { return 0 }
        switch level {
        case 0: return primaryWeights[Int(byte)]
        case 1: return (byte >= 0x41 && byte <= 0x5A) ? 2 : 0
        default:
            if byte == 0x27 { return 2 }  // '
            if byte == 0x2D { return 3 }  // -
            return 0
        }
    }

    static func compare(_ x: [UInt8], _ y: [UInt8]) -> Int {
        let levels = 3
        var level = 0
        var i = 0
        var j = 0
        while level < levels {
            // At the last level a character ignored on one side only decides the order.
            if level == levels - 1, i != j { return j - i }
            let w1 = i < x.count ? weight(x[i], level: level) : 1
            let w2 = j < y.count ? weight(y[j], level: level) : 1
            if w1 == 1, w2 == 1 {
                level += 1
                i = 0
                j = 0
            } else if w1 == w2 {
                i += 1
                j += 1
            } else if w1 == 0 {
                i += 1
            } else if w2 == 0 {
                j += 1
            } else {
                return w1 - w2
            }
        }
        return 0
    }
}
