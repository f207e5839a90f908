/// What a V4L2 camera offers for one pixel format and frame size.
package struct CameraMode: Sendable, Equatable, CustomStringConvertible {
    package var format: CameraPixelFormat
    package var width: Int
    package var height: Int
    /// Frame rates offered at this size (frames per second); empty when the driver does not say.
    package var frameRates: [Double]

    package init(format: CameraPixelFormat, width: Int, height: Int, frameRates: [Double]) {
        self.format = format
        self.width = width
        self.height = height
        self.frameRates = frameRates
    }

    package var description: String {
        let rates = frameRates.map { String(Int($0.rounded())) }.joined(separator: "/")
        return "\(format.rawValue.uppercased()) \(width)x\(height)" + (rates.isEmpty ? "" : " @ \(rates) fps")
    }
}

/// The mode chosen for a capture request.
package struct CameraChoice: Sendable, Equatable {
    package var format: CameraPixelFormat
    package var width: Int
    package var height: Int
    package var frameRate: Double?
}

/// Picks a camera mode for a request. Pure logic, separate from the ioctls so it can be tested
/// without a camera.
///
/// - Format: the requested one when offered; otherwise MJPEG (compressed, so larger sizes and
///   higher rates fit through USB 2), then YUYV.
/// - Size: the requested size when offered; otherwise the smallest offered size that covers it in
///   both directions; otherwise the largest offered. Default request: 640x480, which is plenty for
///   a 224-pixel classifier input and cheap to decode.
/// - Rate: the requested rate when offered; otherwise the lowest offered rate above it, else the
///   highest below it. Default request: 30 fps.
package enum CameraNegotiation {
    package static let defaultWidth = 640
    package static let defaultHeight = 480
    package static let defaultFrameRate = 30.0

    package static func choose(from modes: [CameraMode], width: Int?, height: Int?, frameRate: Double?,
                              format: CameraPixelFormat?) -> CameraChoice? {
        let offered = Set(modes.map(\.format))
        let preference: [CameraPixelFormat] = (format.map { [$0] } ?? []) + [.mjpeg, .yuyv]
        guard let chosenFormat = preference.first(where: offered.contains) else { return nil }
        let candidates = modes.filter { $0.format == chosenFormat && $0.width > 0 && $0.height > 0 }
        let wantW = width ?? defaultWidth, wantH = height ?? defaultHeight
        let mode: CameraMode?
        if let exact = candidates.first(where: { $0.width == wantW && $0.height == wantH }) {
            mode = exact
        } else if let covering = candidates.filter({ $0.width >= wantW && $0.height >= wantH })
                    .min(by: { $0.width * $0.height < $1.width * $1.height }) {
            mode = covering
        } else {
            mode = candidates.max(by: { $0.width * $0.height < $1.width * $1.height })
        }
        guard let mode else { return nil }
        let wantRate = frameRate ?? defaultFrameRate
        var rate: Double? = nil
        if !mode.frameRates.isEmpty {
            if let exact = mode.frameRates.first(where: { abs($0 - wantRate) < 0.01 }) {
                rate = exact
            } else if let above = mode.frameRates.filter({ $0 > wantRate }).min() {
                rate = above
            } else {
                rate = mode.frameRates.max()
            }
        }
        return CameraChoice(format: chosenFormat, width: mode.width, height: mode.height, frameRate: rate)
    }
}

/// Packed YUYV 4:2:2 (two pixels in Y0 U Y1 V) to RGB8, ITU-R BT.601 limited range as webcams send.
package enum YUYV {
    package static func toRGB(_ data: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int? = nil) throws(VisionError) -> RGBImage {
        let stride = stride ?? width * 2
        guard width > 0, height > 0, width % 2 == 0, stride >= width * 2, data.count >= stride * (height - 1) + width * 2 else {
            throw .invalidImage("YUYV frame of \(data.count) bytes does not hold \(width)x\(height)")
        }
        return RGBImage(width: width, height: height) { out in
            for y in 0..<height {
                let row = y * stride
                var o = y * width * 3
                for x in Swift.stride(from: 0, to: width * 2, by: 4) {
                    let y0 = Int(data[row + x]), u = Int(data[row + x + 1]) - 128
                    let y1 = Int(data[row + x + 2]), v = Int(data[row + x + 3]) - 128
                    for luma in [y0, y1] {
                        // Fixed point (x256) BT.601: R = 1.164(Y-16) + 1.596V, G = ... - 0.391U - 0.813V, B = ... + 2.018U.
                        let c = 298 * (luma - 16)
                        out[o] = clamp((c + 409 * v + 128) >> 8)
                        out[o + 1] = clamp((c - 100 * u - 208 * v + 128) >> 8)
                        out[o + 2] = clamp((c + 516 * u + 128) >> 8)
                        o += 3
                    }
                }
            }
        }
    }

    @inline(__always) private static func clamp(_ v: Int) -> UInt8 { UInt8(min(max(v, 0), 255)) }
}
