/// Draws text with the built-in bitmap font, like jetson-inference's cudaFont overlay.
public struct TextOverlay {
    /// Default text colour and background box (white on translucent black, as jetson's imagenet).
    public static let defaultColor = RGB.white
    public static let defaultBackground = RGBA(0, 0, 0, 160)

    /// Draws `text` with its top-left corner at `at`, each font pixel `scale` x `scale` image
    /// pixels. With a `background`, a box (padded by one font pixel) is blended under the text
    /// first. Lines break at `\n`. Anything outside the image is clipped; invalid images are left
    /// untouched.
    public static func draw(_ text: String, on image: inout RGBImage, at: (x: Int, y: Int), scale: Int = 2,
                            color: RGB = defaultColor, background: RGBA? = defaultBackground) {
        guard image.isValid, !text.isEmpty else { return }
        let scale = min(max(scale, 1), 64)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if let background {
            let size = measure(text, scale: scale)
            let pad = scale
            fill(&image, x: at.x - pad, y: at.y - pad, width: size.width + 2 * pad, height: size.height + 2 * pad, color: background)
        }
        for (lineIndex, line) in lines.enumerated() {
            let top = at.y + lineIndex * BitmapFont.cellHeight * scale
            for (column, character) in line.enumerated() {
                let left = at.x + column * BitmapFont.cellWidth * scale
                let rows = BitmapFont.glyph(for: character)
                for (r, bits) in rows.enumerated() where bits != 0 {
                    for c in 0..<BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - c)) != 0 {
                        fill(&image, x: left + c * scale, y: top + r * scale, width: scale, height: scale, color: RGBA(color, alpha: 255))
                    }
                }
            }
        }
    }

    /// The size in image pixels of `text` drawn at `scale` (without the background padding).
    public static func measure(_ text: String, scale: Int) -> (width: Int, height: Int) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let columns = lines.map(\.count).max() ?? 0
        let width = columns == 0 ? 0 : (columns * BitmapFont.cellWidth - 1) * scale
        let height = (lines.count * BitmapFont.cellHeight - 1) * scale
        return (width, height)
    }

    /// A scale that makes text readable on `image` (a line is about 1/18 of the short side).
    public static func automaticScale(for image: RGBImage) -> Int {
        max(1, min(image.width, image.height) / 160)
    }

    /// jetson-inference's classification caption: `"{confidence}% {class}"`.
    public static func caption(for classification: Classification) -> String {
        "\(Classification.percent(classification.confidence)) \(classification.label)"
    }

    /// The agent's caption when the requested class is seen: `"Found X at Y% confidence"`.
    public static func foundCaption(className: String, confidence: Float) -> String {
        "Found \(className) at \(Classification.percent(confidence)) confidence"
    }

    /// Blends a solid rectangle (clipped to the image) onto it.
    static func fill(_ image: inout RGBImage, x: Int, y: Int, width: Int, height: Int, color: RGBA) {
        let x0 = max(x, 0), y0 = max(y, 0)
        let x1 = min(x + width, image.width), y1 = min(y + height, image.height)
        guard x1 > x0, y1 > y0 else { return }
        let a = UInt16(color.alpha), inverse = 255 - UInt16(color.alpha)
        let rgb = [UInt16(color.color.red), UInt16(color.color.green), UInt16(color.color.blue)]
        let stride = image.width * 3
        image.pixels.withUnsafeMutableBufferPointer { p in
            for row in y0..<y1 {
                var i = row * stride + x0 * 3
                for _ in x0..<x1 {
                    for c in 0..<3 {
                        // Rounded (src * a + dst * (255 - a)) / 255.
                        let v = rgb[c] * a + UInt16(p[i + c]) * inverse
                        p[i + c] = UInt8((v + 128 + (v + 128) >> 8) >> 8)
                    }
                    i += 3
                }
            }
        }
    }
}
