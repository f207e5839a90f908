/// Comparison of secrets (MACs, tokens) in time that depends only on their lengths.
package enum ConstantTime {
    /// Inlinable so that callers get a loop specialized to their collections: through the generic
    /// entry point a 32-byte MAC comparison cost more than computing the MAC (measured in a profile
    /// of the queue service, where every request compares one).
    @inlinable
    package static func equals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(lhs, rhs) { difference |= a ^ b }
        return difference == 0
    }

    package static func equals(_ lhs: String, _ rhs: String) -> Bool {
        equals(lhs.utf8, rhs.utf8)
    }
}
