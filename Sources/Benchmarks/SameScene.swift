import Vision

/// Another object in the enrolled object's place: a photo pasted over the object's rectangle in a
/// frame of its video (cropped to the rectangle's shape), as an impostor holding something else
/// in front of the same camera would appear.
enum SameScene {
    /// The composite, then four seeded crops of 90–100 % of it.
    static func views(of photo: RGBImage, pastedInto scene: RGBImage, at rect: (Int, Int, Int, Int)) throws -> [RGBImage] {
        let (x0, y0, x1, y1) = rect
        let w = min(x1, scene.width) - x0, h = min(y1, scene.height) - y0
        guard w > 0, h > 0 else { return [] }
        let photoAspect = Double(photo.width) / Double(photo.height), rectAspect = Double(w) / Double(h)
        let cropped = photoAspect > rectAspect
            ? try photo.cropped(x: (photo.width - Int(Double(photo.height) * rectAspect)) / 2, y: 0, width: Int(Double(photo.height) * rectAspect), height: photo.height)
            : try photo.cropped(x: 0, y: (photo.height - Int(Double(photo.width) / rectAspect)) / 2, width: photo.width, height: Int(Double(photo.width) / rectAspect))
        let patch = try cropped.resized(width: w, height: h, filter: .bicubic)
        var composite = scene
        for y in 0..<h {
            let source = y * w * 3, target = ((y0 + y) * scene.width + x0) * 3
            composite.pixels.replaceSubrange(target..<(target + w * 3), with: patch.pixels[source..<(source + w * 3)])
        }
        var generator = SplitMix(seed: UInt64(photo.width * 7919 + photo.height))
        var views = [composite]
        for _ in 0..<4 {
            let s = 0.9 + 0.1 * generator.unit()
            let cw = Int(Double(scene.width) * s), ch = Int(Double(scene.height) * s)
            let x = Int(generator.unit() * Double(scene.width - cw)), y = Int(generator.unit() * Double(scene.height - ch))
            views.append(try composite.cropped(x: x, y: y, width: cw, height: ch))
        }
        return views
    }
}

/// A small seeded generator, so the crops are the same every run.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
