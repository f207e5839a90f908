/// Errors from Vision operations other than decoding and classification.
public enum VisionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An ``RGBImage`` whose size and pixel buffer disagree, or an impossible size.
    case invalidImage(String)
    /// JPEG encoding failed (the message comes from libjpeg).
    case encodingFailed(String)

    public var description: String {
        switch self {
        case .invalidImage(let detail):
            return "invalid image: \(detail). Build images with RGBImage(width:height:pixels:) or ImageCodec.decode."
        case .encodingFailed(let detail):
            return "JPEG encoding failed: \(detail)"
        }
    }
}
