/// Interpolation used when resizing.
///
/// Both filters are applied as separable convolutions whose support widens with the scale factor
/// when shrinking (area-aware "antialiased" resampling, as Pillow and torchvision do), so a
/// 1280-pixel frame shrunk to 224 averages every source pixel instead of sampling a few.
public enum ResizeFilter: String, Sendable, CaseIterable {
    /// Triangle filter (support 1).
    case bilinear
    /// Keys cubic convolution with a = -0.5 (support 2), as in Pillow and TensorFlow.
    case bicubic

    var support: Double {
        switch self {
        case .bilinear: return 1
        case .bicubic: return 2
        }
    }

    func weight(_ x: Double) -> Double {
        let x = abs(x)
        switch self {
        case .bilinear:
            return x < 1 ? 1 - x : 0
        case .bicubic:
            let a = -0.5
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        }
    }
}

/// Precomputed taps for one axis: output sample `i` is the weighted sum of input samples
/// `start[i] ..< start[i] + count[i]` with weights `weights[i * taps ..< i * taps + count[i]]`.
struct ResampleAxis: Sendable {
    var start: [Int]
    var count: [Int]
    var weights: [Float]
    var taps: Int

    /// Taps mapping the input interval [regionStart, regionStart + regionLength) onto `outputSize`
    /// samples. Windows are clipped to the input and renormalised at the edges.
    init(inputSize: Int, outputSize: Int, regionStart: Double, regionLength: Double, filter: ResizeFilter) {
        let scale = regionLength / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let taps = Int((support * 2).rounded(.up)) + 2
        var start = [Int](repeating: 0, count: outputSize)
        var count = [Int](repeating: 0, count: outputSize)
        var weights = [Float](repeating: 0, count: outputSize * taps)
        var local = [Double](repeating: 0, count: taps)
        for i in 0..<outputSize {
            let center = regionStart + (Double(i) + 0.5) * scale
            var lo = Int((center - support + 0.5).rounded(.down))
            var hi = Int((center + support + 0.5).rounded(.down))
            lo = min(max(lo, 0), inputSize - 1)
            hi = min(max(hi, lo + 1), inputSize)
            hi = min(hi, lo + taps)
            var total = 0.0
            for k in 0..<(hi - lo) {
                let w = filter.weight((Double(lo + k) - center + 0.5) / filterScale)
                local[k] = w
                total += w
            }
            if total == 0 {
                // Degenerate window (centre far outside the input): take the nearest sample.
                local[0] = 1
                total = 1
                hi = lo + 1
            }
            start[i] = lo
            count[i] = hi - lo
            for k in 0..<(hi - lo) {
                weights[i * taps + k] = Float(local[k] / total)
            }
        }
        self.start = start
        self.count = count
        self.weights = weights
        self.taps = taps
    }

    /// The input range that any output sample reads.
    var inputRange: Range<Int> {
        guard let first = start.min() else { return 0..<0 }
        var last = first
        for i in start.indices { last = max(last, start[i] + count[i]) }
        return first..<last
    }
}
