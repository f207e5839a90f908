/// How a frame becomes a model input tensor.
public struct Preprocessing: Sendable, Equatable, CustomStringConvertible {
    /// Which part of the frame is fed to the model.
    public enum Geometry: Sendable, Equatable {
        /// A centred crop whose short side is `fraction` of the frame's short side, resized to the
        /// input size (TensorFlow/torchvision evaluation: resize to 256, crop 224 is 0.875).
        case centerCrop(fraction: Double)
        /// The whole frame resized to the input size, ignoring aspect ratio (jetson-inference).
        case stretch
    }

    /// How 0...255 samples become model values.
    public enum Normalization: Sendable, Equatable {
        /// `(value / 255 - mean[c]) / std[c]` (torchvision style; values per channel R, G, B).
        case meanStd(mean: [Float], std: [Float])
        /// `value * scale + offset` for every channel (for example 1/128 and -127/128).
        case scaleOffset(scale: Float, offset: Float)

        /// ImageNet statistics, the usual choice for models trained with torchvision.
        public static let imageNet = Normalization.meanStd(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])

        /// Per-channel (scale, offset) on 0...255 samples, in R, G, B order.
        var coefficients: [(scale: Float, offset: Float)] {
            switch self {
            case .meanStd(let mean, let std):
                return (0..<3).map { c in
                    let m = c < mean.count ? mean[c] : 0
                    let s = c < std.count && std[c] != 0 ? std[c] : 1
                    return (1 / (255 * s), -m / s)
                }
            case .scaleOffset(let scale, let offset):
                return Array(repeating: (scale, offset), count: 3)
            }
        }
    }

    /// Channel order of the model input.
    public enum ChannelOrder: String, Sendable, Equatable {
        case rgb, bgr
    }

    public var geometry: Geometry
    public var filter: ResizeFilter
    public var normalization: Normalization
    public var channelOrder: ChannelOrder

    public init(geometry: Geometry, filter: ResizeFilter, normalization: Normalization, channelOrder: ChannelOrder = .rgb) {
        self.geometry = geometry
        self.filter = filter
        self.normalization = normalization
        self.channelOrder = channelOrder
    }

    /// jetson-inference's imageNet pre-processing for ONNX models: whole frame, bilinear, ImageNet
    /// mean/std, RGB. The default for custom models such as the original's `resnet18.onnx`.
    public static let jetson = Preprocessing(geometry: .stretch, filter: .bilinear, normalization: .imageNet)

    /// EfficientNet-Lite (TensorFlow) evaluation: bicubic, centre crop 224/256, (x - 127) / 128.
    public static let efficientNetLite = Preprocessing(
        geometry: .centerCrop(fraction: 0.875), filter: .bicubic, normalization: .scaleOffset(scale: 1 / 128, offset: -127 / 128))

    /// The source region (in pixels, fractional) that maps onto a `width` x `height` input.
    func region(imageWidth: Int, imageHeight: Int, inputWidth: Int, inputHeight: Int) -> (x: Double, y: Double, width: Double, height: Double) {
        switch geometry {
        case .stretch:
            return (0, 0, Double(imageWidth), Double(imageHeight))
        case .centerCrop(let fraction):
            let f = min(max(fraction, 0.01), 1)
            // Resize so the short side becomes min(input)/f, then take the centred input-sized crop.
            let scale = Double(min(inputWidth, inputHeight)) / f / Double(min(imageWidth, imageHeight))
            let w = min(Double(inputWidth) / scale, Double(imageWidth))
            let h = min(Double(inputHeight) / scale, Double(imageHeight))
            return ((Double(imageWidth) - w) / 2, (Double(imageHeight) - h) / 2, w, h)
        }
    }

    /// The shortest frame side that still needs no upscaling for this input size (used to pick
    /// JPEG DCT scaling).
    func minimumShortSide(inputWidth: Int, inputHeight: Int) -> Int {
        switch geometry {
        case .stretch: return min(inputWidth, inputHeight)
        case .centerCrop(let fraction): return Int((Double(min(inputWidth, inputHeight)) / min(max(fraction, 0.01), 1)).rounded(.up))
        }
    }

    /// Writes the NCHW float tensor (batch of one) for `image` into `tensor`, which must hold
    /// `3 * inputWidth * inputHeight` floats.
    func fill(_ tensor: UnsafeMutableBufferPointer<Float>, from image: RGBImage, inputWidth: Int, inputHeight: Int) throws(VisionError) {
        try image.validated()
        guard let base = tensor.baseAddress, tensor.count >= 3 * inputWidth * inputHeight else {
            throw .invalidImage("tensor buffer too small for 3x\(inputHeight)x\(inputWidth)")
        }
        let region = region(imageWidth: image.width, imageHeight: image.height, inputWidth: inputWidth, inputHeight: inputHeight)
        let resampler = Resampler(image: image.width, image.height, region: region,
                                  outputWidth: inputWidth, outputHeight: inputHeight, filter: filter)
        let k = normalization.coefficients
        let order = channelOrder == .rgb ? (0, 1, 2) : (2, 1, 0)
        let c = [order.0, order.1, order.2].map { k[$0] }
        resampler.run(image, into: base, channelOrder: order,
                      scale: (c[0].scale, c[1].scale, c[2].scale), offset: (c[0].offset, c[1].offset, c[2].offset))
    }

    /// The NCHW float tensor (batch of one) for `image`.
    public func tensor(from image: RGBImage, inputWidth: Int, inputHeight: Int) throws(VisionError) -> [Float] {
        var result = [Float](repeating: 0, count: 3 * inputWidth * inputHeight)
        var failure: VisionError?
        result.withUnsafeMutableBufferPointer { buffer in
            do throws(VisionError) {
                try fill(buffer, from: image, inputWidth: inputWidth, inputHeight: inputHeight)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return result
    }

    public var description: String {
        let geometryText: String
        switch geometry {
        case .stretch: geometryText = "whole frame"
        case .centerCrop(let f): geometryText = "centre crop \(f)"
        }
        let normText: String
        switch normalization {
        case .meanStd(let m, let s): normText = "mean \(m) std \(s)"
        case .scaleOffset(let s, let o): normText = "x*\(s)\(o < 0 ? "" : "+")\(o)"
        }
        return "\(geometryText), \(filter.rawValue), \(normText), \(channelOrder.rawValue.uppercased())"
    }
}
