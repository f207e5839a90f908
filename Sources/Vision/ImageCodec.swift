public import Foundation
import CVisionShims
import CPNG

/// Options for ``ImageCodec/decode(_:options:)``.
public struct ImageDecodingOptions: Sendable {
    /// When set, JPEGs are decoded at a reduced scale (libjpeg's DCT scaling: 1/2, 1/4 or 1/8) as
    /// long as the shorter side stays at least this long. Saves most of the decoding time for large
    /// camera frames that will be shrunk to a classifier's input anyway.
    public var minimumShortSide: Int?
    /// Accept JPEG data that libjpeg can only partly decode (a truncated frame is then padded with
    /// grey). Off by default: a damaged file is reported, not classified.
    public var allowRecoverableErrors: Bool
    /// Images with more pixels than this are refused before any pixel memory is allocated.
    public var maximumPixels: Int

    public init(minimumShortSide: Int? = nil, allowRecoverableErrors: Bool = false, maximumPixels: Int = 50_000_000) {
        self.minimumShortSide = minimumShortSide
        self.allowRecoverableErrors = allowRecoverableErrors
        self.maximumPixels = maximumPixels
    }
}

/// JPEG (libjpeg-turbo) and PNG (libpng) decoding, and JPEG encoding.
public enum ImageCodec {
    /// Decodes a JPEG or PNG (format detected from its first bytes) into RGB8.
    public static func decode(_ data: some ContiguousBytes, options: ImageDecodingOptions = .init()) throws(ImageDecodingError) -> RGBImage {
        let result: Result<RGBImage, ImageDecodingError> = data.withUnsafeBytes { bytes in
            guard !bytes.isEmpty else { return .failure(.empty) }
            switch ImageFormat.sniff(bytes) {
            case .jpeg: return Result { () throws(ImageDecodingError) in try decodeJPEG(bytes, options: options) }
            case .png: return Result { () throws(ImageDecodingError) in try decodePNG(bytes, options: options) }
            case nil: return .failure(.unrecognizedFormat(leadingBytes: Array(bytes.prefix(8))))
            }
        }
        return try result.get()
    }

    /// Reads and decodes an image file.
    public static func decode(contentsOf url: URL, options: ImageDecodingOptions = .init()) throws -> RGBImage {
        let data = try Data(contentsOf: url, options: .mappedIfSafe)
        return try decode(data, options: options)
    }

    /// Encodes an image as a baseline JPEG; `quality` is clamped to 1...100.
    public static func encodeJPEG(_ image: RGBImage, quality: Int = 90) throws(VisionError) -> [UInt8] {
        try image.validated()
        var message = [CChar](repeating: 0, count: Int(EF_MESSAGE_CAPACITY))
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            ef_jpeg_encode(pixels.baseAddress, Int32(image.width), Int32(image.height), image.width * 3,
                           Int32(min(max(quality, 1), 100)), &output, &size, &message)
        }
        guard status == 0, let output else { throw .encodingFailed(cMessage(message)) }
        defer { ef_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }

    static func decodeJPEG(_ bytes: UnsafeRawBufferPointer, options: ImageDecodingOptions) throws(ImageDecodingError) -> RGBImage {
        var message = [CChar](repeating: 0, count: Int(EF_MESSAGE_CAPACITY))
        var width: Int32 = 0, height: Int32 = 0, sourceWidth: Int32 = 0, sourceHeight: Int32 = 0
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        guard let decoder = ef_jpeg_open(base, bytes.count, 1, &width, &height, &sourceWidth, &sourceHeight, &message) else {
            throw .corrupt(.jpeg, cMessage(message))
        }
        defer { ef_jpeg_close(decoder) }
        if let minimum = options.minimumShortSide, minimum > 0 {
            let short = Int(min(sourceWidth, sourceHeight))
            for denominator in [8, 4, 2] where (short + denominator - 1) / denominator >= minimum {
                guard ef_jpeg_set_scale(decoder, Int32(denominator), &width, &height, &message) == 0 else {
                    throw .corrupt(.jpeg, cMessage(message))
                }
                break
            }
        }
        let w = Int(width), h = Int(height)
        guard Int(sourceWidth) * Int(sourceHeight) <= options.maximumPixels, w <= RGBImage.maximumSide, h <= RGBImage.maximumSide else {
            throw .tooLarge(width: Int(sourceWidth), height: Int(sourceHeight), maximumPixels: options.maximumPixels)
        }
        guard w > 0, h > 0 else { throw .corrupt(.jpeg, "image has no pixels") }
        var warnings: Int32 = 0
        var status: Int32 = 0
        let image = RGBImage(width: w, height: h) { buffer in
            status = ef_jpeg_read(decoder, buffer.baseAddress, w * 3, &warnings, &message)
        }
        guard status == 0 else { throw .corrupt(.jpeg, cMessage(message)) }
        if warnings > 0, !options.allowRecoverableErrors {
            throw .corrupt(.jpeg, cMessage(message))
        }
        return image
    }

    static func decodePNG(_ bytes: UnsafeRawBufferPointer, options: ImageDecodingOptions) throws(ImageDecodingError) -> RGBImage {
        // libpng's "simplified" API handles every bit depth, palette, grey and alpha variant and
        // reports errors in image.message instead of longjmp-ing into our code.
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count) != 0 else {
            defer { png_image_free(&image) }
            throw .corrupt(.png, pngMessage(image))
        }
        let w = Int(image.width), h = Int(image.height)
        guard w * h <= options.maximumPixels, w <= RGBImage.maximumSide, h <= RGBImage.maximumSide else {
            png_image_free(&image)
            throw .tooLarge(width: w, height: h, maximumPixels: options.maximumPixels)
        }
        image.format = UInt32(PNG_FORMAT_RGB)
        var ok: Int32 = 0
        let decoded = RGBImage(width: w, height: h) { buffer in
            ok = png_image_finish_read(&image, nil, buffer.baseAddress, Int32(w * 3), nil)
        }
        guard ok != 0 else {
            defer { png_image_free(&image) }
            throw .corrupt(.png, pngMessage(image))
        }
        return decoded
    }

    private static func cMessage(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func pngMessage(_ image: png_image) -> String {
        withUnsafeBytes(of: image.message) { raw in
            let text = raw.prefix { $0 != 0 }
            return String(decoding: text, as: UTF8.self)
        }
    }
}
