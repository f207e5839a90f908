import Foundation

/// A generated test pattern (colour bars, a moving square, a frame counter), for trying the
/// pipeline without a camera: `synthetic://640x480?frames=100&fps=30`.
actor SyntheticSource: FrameSource {
    let width: Int
    let height: Int
    let frameLimit: Int?
    let interval: Duration?
    private var index = 0
    private var lastFrame: ContinuousClock.Instant?

    init(uri: String, options: FrameSourceOptions) throws {
        let rest = uri.dropFirst("synthetic://".count)
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var width = options.width ?? 640, height = options.height ?? 480
        if let size = parts.first, !size.isEmpty {
            let dims = size.lowercased().split(separator: "x").compactMap { Int($0) }
            guard dims.count == 2 else { throw FrameSourceError.unsupported("synthetic size \(size) is not WIDTHxHEIGHT") }
            width = dims[0]
            height = dims[1]
        }
        guard (16...RGBImage.maximumSide).contains(width), (16...RGBImage.maximumSide).contains(height) else {
            throw FrameSourceError.unsupported("synthetic size \(width)x\(height) is outside 16...\(RGBImage.maximumSide)")
        }
        var frames: Int?
        var fps = options.frameRate
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { continue }
                switch kv[0] {
                case "frames": frames = Int(kv[1])
                case "fps": fps = Double(kv[1])
                default: throw FrameSourceError.unsupported("unknown synthetic option \(kv[0]) (use frames= and fps=)")
                }
            }
        }
        self.width = width
        self.height = height
        self.frameLimit = frames
        if let fps, fps > 0 { interval = .nanoseconds(Int64(1e9 / fps)) } else { interval = nil }
    }

    func nextFrame() async throws -> RGBImage? {
        if let frameLimit, index >= frameLimit { return nil }
        if let interval, let lastFrame {
            try await Task.sleep(until: lastFrame + interval, clock: .continuous)
        }
        lastFrame = .now
        let image = Self.pattern(width: width, height: height, frame: index)
        index += 1
        return image
    }

    /// Frame `frame` of the pattern.
    static func pattern(width: Int, height: Int, frame: Int) -> RGBImage {
        let bars: [RGB] = [RGB(192, 192, 192), RGB(192, 192, 0), RGB(0, 192, 192), RGB(0, 192, 0),
                           RGB(192, 0, 192), RGB(192, 0, 0), RGB(0, 0, 192)]
        var image = RGBImage(width: width, height: height) { p in
            for y in 0..<height {
                for x in 0..<width {
                    let bar = bars[x * bars.count / width]
                    let i = (y * width + x) * 3
                    p[i] = bar.red
                    p[i + 1] = bar.green
                    p[i + 2] = bar.blue
                }
            }
        }
        let side = max(8, min(width, height) / 6)
        let travel = max(1, width - side)
        let x = (frame * 7) % (2 * travel)
        let left = x < travel ? x : 2 * travel - x
        TextOverlay.fill(&image, x: left, y: height - side - side / 2, width: side, height: side, color: RGBA(.white, alpha: 255))
        let scale = TextOverlay.automaticScale(for: image)
        TextOverlay.draw("EdgeFactor \(frame)", on: &image, at: (4 * scale, 4 * scale), scale: scale)
        return image
    }
}
