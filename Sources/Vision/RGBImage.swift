/// An 8-bit RGB image, row-major, three bytes per pixel, no padding between rows.
///
/// Every Vision API that reads an image checks that `pixels.count == width * height * 3` and throws
/// ``VisionError/invalidImage(_:)`` otherwise, because the fields are public and can be set freely.
public struct RGBImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// RGB8 samples, `width * height * 3` bytes, top row first.
    public var pixels: [UInt8]

    /// An image from existing pixels; throws if the buffer does not match the size.
    public init(width: Int, height: Int, pixels: [UInt8]) throws(VisionError) {
        guard width > 0, height > 0, width <= RGBImage.maximumSide, height <= RGBImage.maximumSide else {
            throw .invalidImage("size \(width)x\(height) is outside 1...\(RGBImage.maximumSide) per side")
        }
        guard pixels.count == width * height * 3 else {
            throw .invalidImage("\(pixels.count) bytes for a \(width)x\(height) RGB image (expected \(width * height * 3))")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image filled with one colour. Sizes are clamped to 1...``maximumSide``.
    public init(width: Int, height: Int, color: RGB = RGB(0, 0, 0)) {
        let w = min(max(width, 1), RGBImage.maximumSide)
        let h = min(max(height, 1), RGBImage.maximumSide)
        self.width = w
        self.height = h
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        if color != RGB(0, 0, 0) {
            for i in stride(from: 0, to: pixels.count, by: 3) {
                pixels[i] = color.red
                pixels[i + 1] = color.green
                pixels[i + 2] = color.blue
            }
        }
        self.pixels = pixels
    }

    /// Builds an image by letting `fill` write exactly `width * height * 3` bytes.
    init(width: Int, height: Int, unsafeFill fill: (UnsafeMutableBufferPointer<UInt8>) throws -> Void) rethrows {
        self.width = width
        self.height = height
        self.pixels = try [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
            try fill(buffer)
            count = width * height * 3
        }
    }

    /// The largest width or height accepted anywhere in Vision (bounds memory use on bad input).
    public static let maximumSide = 16_384

    /// Whether the pixel buffer matches the size.
    public var isValid: Bool {
        width > 0 && height > 0 && width <= RGBImage.maximumSide && height <= RGBImage.maximumSide
            && pixels.count == width * height * 3
    }

    func validated() throws(VisionError) {
        guard isValid else {
            throw .invalidImage("\(pixels.count) bytes for a \(width)x\(height) RGB image (expected \(width * height * 3))")
        }
    }

    /// The colour at (x, y); nil outside the image.
    public subscript(x: Int, y: Int) -> RGB? {
        guard x >= 0, y >= 0, x < width, y < height, isValid else { return nil }
        let i = (y * width + x) * 3
        return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// The same image with red and blue swapped (RGB ⇄ BGR).
    public func swappingRedAndBlue() -> RGBImage {
        var copy = self
        copy.pixels.withUnsafeMutableBufferPointer { p in
            var i = 0
            while i + 2 < p.count {
                p.swapAt(i, i + 2)
                i += 3
            }
        }
        return copy
    }

    /// The pixels inside `rect`, clipped to the image; throws if nothing is left.
    public func cropped(x: Int, y: Int, width cropWidth: Int, height cropHeight: Int) throws(VisionError) -> RGBImage {
        try validated()
        let x0 = max(x, 0), y0 = max(y, 0)
        let x1 = min(x + cropWidth, width), y1 = min(y + cropHeight, height)
        guard x1 > x0, y1 > y0 else {
            throw .invalidImage("crop \(cropWidth)x\(cropHeight)+\(x)+\(y) lies outside the \(width)x\(height) image")
        }
        let w = x1 - x0, h = y1 - y0
        return pixels.withUnsafeBufferPointer { source in
            RGBImage(width: w, height: h) { out in
                for row in 0..<h {
                    let from = ((y0 + row) * width + x0) * 3
                    let to = row * w * 3
                    for i in 0..<(w * 3) { out[to + i] = source[from + i] }
                }
            }
        }
    }

    /// The largest centred region with the given fraction of the short side, as a square.
    public func centerCropped(fraction: Double) throws(VisionError) -> RGBImage {
        let side = max(1, Int((Double(min(width, height)) * min(max(fraction, 0), 1)).rounded()))
        return try cropped(x: (width - side) / 2, y: (height - side) / 2, width: side, height: side)
    }
}

/// An 8-bit RGB colour.
public struct RGB: Sendable, Hashable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    public static let white = RGB(255, 255, 255)
    public static let black = RGB(0, 0, 0)
    public static let green = RGB(0, 200, 0)
}

/// An 8-bit RGB colour with opacity (255 = opaque), for overlay backgrounds.
public struct RGBA: Sendable, Hashable {
    public var color: RGB
    public var alpha: UInt8

    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8, _ alpha: UInt8) {
        self.color = RGB(red, green, blue)
        self.alpha = alpha
    }

    public init(_ color: RGB, alpha: UInt8) {
        self.color = color
        self.alpha = alpha
    }
}
