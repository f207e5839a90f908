/// An image embedding scaled to unit length, so that the cosine similarity of two is their dot product.
public struct Embedding: Sendable, Equatable {
    public let values: [Float]

    /// Normalises `raw` to unit length; nil when it is empty, not finite, or all zeros (a model
    /// output that carries no direction cannot be compared).
    public init?(normalizing raw: [Float]) {
        guard !raw.isEmpty else { return nil }
        var sum: Double = 0
        for v in raw {
            guard v.isFinite else { return nil }
            sum += Double(v) * Double(v)
        }
        guard sum > 1e-24 else { return nil }
        let scale = Float(1 / sum.squareRoot())
        values = raw.map { $0 * scale }
    }

    public var dimension: Int { values.count }

    /// Cosine similarity in −1…1 (0 when the dimensions differ, which a template check prevents).
    public func similarity(to other: Embedding) -> Double {
        guard values.count == other.values.count else { return 0 }
        var dot: Float = 0
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                for i in 0..<a.count { dot += a[i] * b[i] }
            }
        }
        return Double(min(1, max(-1, dot)))
    }
}
