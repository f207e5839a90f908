import Foundation

extension Duration {
    /// The duration in (fractional) milliseconds, for timings and logs.
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }

    /// The duration in (fractional) seconds.
    var seconds: TimeInterval { milliseconds / 1000 }
}
