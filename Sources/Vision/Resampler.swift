/// Separable resampling of a region of an ``RGBImage`` into planar float channels.
///
/// The work is split the way Pillow does it (horizontal pass into a float buffer, then vertical),
/// but only the rows and columns that the region needs are touched, and the vertical pass writes
/// straight into the caller's planes (for a model input: already normalised, in NCHW order).
struct Resampler: Sendable {
    let horizontal: ResampleAxis
    let vertical: ResampleAxis
    let outputWidth: Int
    let outputHeight: Int

    init(image width: Int, _ height: Int, region: (x: Double, y: Double, width: Double, height: Double),
         outputWidth: Int, outputHeight: Int, filter: ResizeFilter) {
        horizontal = ResampleAxis(inputSize: width, outputSize: outputWidth, regionStart: region.x, regionLength: region.width, filter: filter)
        vertical = ResampleAxis(inputSize: height, outputSize: outputHeight, regionStart: region.y, regionLength: region.height, filter: filter)
        self.outputWidth = outputWidth
        self.outputHeight = outputHeight
    }

    /// Resamples into three planes of `outputWidth * outputHeight` floats each. Plane `c` receives
    /// channel `channelOrder[c]` (0 = red, 1 = green, 2 = blue) as `value * scale[c] + offset[c]`.
    func run(_ image: RGBImage, into planes: UnsafeMutablePointer<Float>,
             channelOrder: (Int, Int, Int), scale: (Float, Float, Float), offset: (Float, Float, Float)) {
        let rows = vertical.inputRange
        let ow = outputWidth, oh = outputHeight
        let planeSize = ow * oh
        // Horizontal pass: source rows in `rows` -> planar float rows [channel][row][x].
        let tmpPlane = rows.count * ow
        let tmp = UnsafeMutablePointer<Float>.allocate(capacity: tmpPlane * 3)
        defer { tmp.deallocate() }
        let columns = horizontal.inputRange
        // One source row as floats (plus one pixel of padding, so a 4-lane load at the last
        // pixel stays inside the buffer): converted once per row instead of once per tap.
        let rowFloats = UnsafeMutablePointer<Float>.allocate(capacity: columns.count * 3 + 4)
        rowFloats.initialize(repeating: 0, count: columns.count * 3 + 4)
        defer { rowFloats.deallocate() }
        image.pixels.withUnsafeBufferPointer { pixelBuffer in
            guard let pixels = pixelBuffer.baseAddress else { return }
            horizontal.start.withUnsafeBufferPointer { hs in
            horizontal.count.withUnsafeBufferPointer { hc in
            horizontal.weights.withUnsafeBufferPointer { hw in
                let taps = horizontal.taps
                let rowBytes = image.width * 3
                let floatsPerRow = columns.count * 3
                let raw = UnsafeRawPointer(rowFloats)
                for (r, y) in rows.enumerated() {
                    let src = pixels + y * rowBytes + columns.lowerBound * 3
                    for i in 0..<floatsPerRow { rowFloats[i] = Float(src[i]) }
                    let outR = tmp + r * ow
                    let outG = outR + tmpPlane
                    let outB = outG + tmpPlane
                    for x in 0..<ow {
                        // RGB of consecutive pixels are 12 bytes apart; lane 3 (the next pixel's
                        // red) is ignored.
                        let first = (hs[x] - columns.lowerBound) * 12
                        let w = x * taps
                        var sum = SIMD4<Float>()
                        for k in 0..<hc[x] {
                            sum += hw[w + k] * raw.loadUnaligned(fromByteOffset: first + k * 12, as: SIMD4<Float>.self)
                        }
                        outR[x] = sum[0]
                        outG[x] = sum[1]
                        outB[x] = sum[2]
                    }
                }
            }}}
        }
        // Vertical pass: weighted sums of whole rows (contiguous, vectorisable), then scale/offset.
        let source = [channelOrder.0, channelOrder.1, channelOrder.2]
        let scales = [scale.0, scale.1, scale.2]
        let offsets = [offset.0, offset.1, offset.2]
        vertical.start.withUnsafeBufferPointer { vs in
        vertical.count.withUnsafeBufferPointer { vc in
        vertical.weights.withUnsafeBufferPointer { vw in
            let taps = vertical.taps
            for plane in 0..<3 {
                let channel = tmp + source[plane] * tmpPlane
                let out = planes + plane * planeSize
                let s = scales[plane], o = offsets[plane]
                for y in 0..<oh {
                    let dst = out + y * ow
                    let first = vs[y] - rows.lowerBound
                    let w = y * taps
                    var k0 = vw[w] * s
                    var row = channel + first * ow
                    for x in 0..<ow { dst[x] = row[x] * k0 + o }
                    for k in 1..<max(vc[y], 1) {
                        k0 = vw[w + k] * s
                        row = channel + (first + k) * ow
                        for x in 0..<ow { dst[x] += row[x] * k0 }
                    }
                }
            }
        }}}
    }
}

extension RGBImage {
    /// A resized copy. Shrinking averages over the covered source area (no aliasing).
    public func resized(width newWidth: Int, height newHeight: Int, filter: ResizeFilter = .bilinear) throws(VisionError) -> RGBImage {
        try validated()
        guard newWidth > 0, newHeight > 0, newWidth <= RGBImage.maximumSide, newHeight <= RGBImage.maximumSide else {
            throw .invalidImage("cannot resize to \(newWidth)x\(newHeight)")
        }
        let resampler = Resampler(image: width, height, region: (0, 0, Double(width), Double(height)),
                                  outputWidth: newWidth, outputHeight: newHeight, filter: filter)
        let planeSize = newWidth * newHeight
        let planes = UnsafeMutablePointer<Float>.allocate(capacity: planeSize * 3)
        defer { planes.deallocate() }
        resampler.run(self, into: planes, channelOrder: (0, 1, 2), scale: (1, 1, 1), offset: (0, 0, 0))
        return RGBImage(width: newWidth, height: newHeight) { out in
            for i in 0..<planeSize {
                for c in 0..<3 {
                    let v = planes[c * planeSize + i].rounded()
                    out[i * 3 + c] = UInt8(min(max(v, 0), 255))
                }
            }
        }
    }
}
