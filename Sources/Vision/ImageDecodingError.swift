/// The image formats Vision reads.
public enum ImageFormat: String, Sendable {
    case jpeg = "JPEG"
    case png = "PNG"

    /// The format named by the leading "magic" bytes, if it is one Vision reads.
    public static func sniff(_ bytes: UnsafeRawBufferPointer) -> ImageFormat? {
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= png.count, zip(bytes, png).allSatisfy({ $0 == $1 }) { return .png }
        return nil
    }
}

/// Why bytes could not be turned into an ``RGBImage``.
public enum ImageDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No bytes at all.
    case empty
    /// Neither a JPEG nor a PNG; `leadingBytes` are the first few bytes, for the message.
    case unrecognizedFormat(leadingBytes: [UInt8])
    /// The decoder rejected the data (corrupt, truncated, unsupported variant).
    case corrupt(ImageFormat, String)
    /// The image is larger than the configured limit.
    case tooLarge(width: Int, height: Int, maximumPixels: Int)

    public var description: String {
        switch self {
        case .empty:
            return "the image is empty (0 bytes); check the file or the camera stream"
        case .unrecognizedFormat(let bytes):
            let hex = bytes.prefix(8).map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
            return "not a JPEG or PNG image (starts with \(hex.isEmpty ? "nothing" : hex)); convert it to JPEG or PNG"
        case .corrupt(let format, let detail):
            return "the \(format.rawValue) image is corrupt or truncated: \(detail); re-encode or re-capture it"
        case .tooLarge(let width, let height, let maximum):
            return "the image is \(width)x\(height), more than the limit of \(maximum) pixels; scale it down first"
        }
    }
}
