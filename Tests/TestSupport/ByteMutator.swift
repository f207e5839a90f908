/// Random damage to a valid input for the fuzz tests: one to eight byte flips, deletions and
/// insertions, reproducible from the generator's seed.
public enum ByteMutator {
    public static func mutate(_ valid: [UInt8], using generator: inout SplitMix64) -> [UInt8] {
        var bytes = valid
        for _ in 0..<Int.random(in: 1...8, using: &generator) {
            if bytes.isEmpty { break }
            let index = Int.random(in: 0..<bytes.count, using: &generator)
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: bytes[index] = UInt8.random(in: 0...255, using: &generator)
            case 1: bytes.remove(at: index)
            default: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: index)
            }
        }
        return bytes
    }
}
