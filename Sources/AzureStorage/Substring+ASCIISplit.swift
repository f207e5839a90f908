extension Substring {
    /// Splits at an ASCII separator, working on the UTF-8 bytes: for URLs, queries and headers,
    /// which are split on every request, that is far cheaper than splitting by `Character`.
    /// The pieces are the same as `split(separator:maxSplits:omittingEmptySubsequences:)` gives,
    /// because an ASCII byte is always a whole character boundary in UTF-8.
    package func asciiSplit(_ separator: UInt8, maxSplits: Int = .max, omittingEmptySubsequences: Bool = true) -> [Substring] {
        utf8.split(separator: separator, maxSplits: maxSplits, omittingEmptySubsequences: omittingEmptySubsequences).map { Substring($0) }
    }
}
