import Synchronization

/// Unique identifiers in UUID form (`8-4-4-4-12` lower-case hex), cheap enough for every request:
/// a random 128-bit base drawn once per process plus a counter, where `UUID()` asks the kernel for
/// randomness each time. Unique, not unpredictable: for request and message ids, never for secrets
/// or tokens.
package enum SequentialIdentifier {
    private static let base: (high: UInt64, low: UInt64) = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), generator.next())
    }()
    private static let counter = Atomic<UInt64>(0)
    private static let digits = Array("0123456789abcdef".utf8)

    /// The next identifier.
    package static func next() -> String {
        let count = counter.wrappingAdd(1, ordering: .relaxed).newValue
        let high = base.high
        let low = base.low &+ count
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var position = 0
            func put(_ value: UInt64, nibbles: ClosedRange<Int>) {
                for nibble in nibbles.reversed() {
                    if position == 8 || position == 13 || position == 18 || position == 23 {
                        buffer[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    buffer[position] = digits[Int((value >> UInt64(nibble * 4)) & 0xF)]
                    position += 1
                }
            }
            put(high, nibbles: 0...15)
            put(low, nibbles: 0...15)
            return position
        }
    }
}
