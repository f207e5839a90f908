extension Duration {
    /// The duration in (fractional) seconds, for wire fields, dates and logs.
    package var inSeconds: Double { self / .seconds(1) }

    /// The duration in (fractional) milliseconds, for timings.
    package var inMilliseconds: Double { self / .milliseconds(1) }

    /// Whole seconds, rounded up (a timeout of 0.2 s is 1 s on a wire that counts seconds).
    package var wholeSecondsRoundedUp: Int64 {
        let (seconds, attoseconds) = components
        return attoseconds > 0 ? seconds + 1 : seconds
    }
}
