/// How much fine detail a frame has: the variance of the Laplacian of its grey image, sampled down
/// to about `side` pixels on the long side so the figure does not depend on the camera's resolution.
/// Blurred, dark and uniform frames score low (a black frame scores 0).
public enum Sharpness {
    /// The default working size: large enough for texture, small enough to cost well under a millisecond.
    public static let defaultSide = 160

    public static func varianceOfLaplacian(_ image: RGBImage, side: Int = defaultSide) -> Double {
        guard image.isValid, image.width >= 3, image.height >= 3 else { return 0 }
        let step = max(1, max(image.width, image.height) / max(3, side))
        let w = image.width / step, h = image.height / step
        guard w >= 3, h >= 3 else { return 0 }
        var grey = [Float](repeating: 0, count: w * h)
        image.pixels.withUnsafeBufferPointer { px in
            for y in 0..<h {
                for x in 0..<w {
                    let i = ((y * step) * image.width + x * step) * 3
                    grey[y * w + x] = 0.299 * Float(px[i]) + 0.587 * Float(px[i + 1]) + 0.114 * Float(px[i + 2])
                }
            }
        }
        var sum: Double = 0, sumSquares: Double = 0
        for y in 1..<(h - 1) {
            for x in 1..<(w - 1) {
                let c = y * w + x
                let l = Double(grey[c - 1] + grey[c + 1] + grey[c - w] + grey[c + w] - 4 * grey[c])
                sum += l
                sumSquares += l * l
            }
        }
        let n = Double((w - 2) * (h - 2))
        let mean = sum / n
        return max(0, sumSquares / n - mean * mean)
    }
}
