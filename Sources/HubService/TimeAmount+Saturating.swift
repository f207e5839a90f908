import NIOCore

extension TimeAmount {
    /// `seconds` as a time amount, clamped to 0…`Int64.max` nanoseconds (about 292 years), so a
    /// value from the wire (a token expiry, a timeout) can never trap the conversion.
    static func saturating(seconds: Double) -> TimeAmount {
        guard seconds > 0 else { return .zero }
        let nanoseconds = seconds * 1e9
        guard nanoseconds < 9.2e18 else { return .nanoseconds(.max) }
        return .nanoseconds(Int64(nanoseconds))
    }
}
