import Foundation

/// A stream of frames: a camera, a video, an image or a folder of images, a test pattern.
///
/// `nextFrame()` returns nil at the end of the stream. When it throws for one bad frame (a corrupt
/// file in a folder, say) the source has already moved past it, so calling it again continues.
public protocol FrameSource: Sendable {
    func nextFrame() async throws -> RGBImage?
    /// Stops capturing and releases the device or subprocess (also done when the source is freed).
    func close() async
}

extension FrameSource {
    public func close() async {}
}

/// Options for ``FrameSources/open(_:options:)``.
public struct FrameSourceOptions: Sendable {
    /// Start again at the first frame after the last (image files, folders, video files).
    public var loop: Bool
    /// Requested frame size (cameras, synthetic patterns; videos are scaled by ffmpeg when set).
    public var width: Int?
    public var height: Int?
    /// Requested frame rate (cameras; synthetic patterns are paced to it).
    public var frameRate: Double?
    /// Camera pixel format preference; nil picks MJPEG when the camera offers it, else YUYV.
    public var cameraFormat: CameraPixelFormat?
    /// How still images and MJPEG camera frames are decoded.
    public var decoding: ImageDecodingOptions
    /// The ffmpeg executable used for video files and network streams.
    public var ffmpegPath: String

    public init(loop: Bool = false, width: Int? = nil, height: Int? = nil, frameRate: Double? = nil,
                cameraFormat: CameraPixelFormat? = nil, decoding: ImageDecodingOptions = .init(), ffmpegPath: String = "ffmpeg") {
        self.loop = loop
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.cameraFormat = cameraFormat
        self.decoding = decoding
        self.ffmpegPath = ffmpegPath
    }
}

/// Camera pixel formats EdgeFactor can convert.
public enum CameraPixelFormat: String, Sendable, CaseIterable {
    case mjpeg, yuyv
}

/// Why a frame source could not be opened or read.
public enum FrameSourceError: Error, Sendable, CustomStringConvertible {
    case notFound(String)
    case noImages(String)
    case unsupported(String)
    case badFrame(path: String, ImageDecodingError)
    case device(String)
    case ffmpeg(String)

    public var description: String {
        switch self {
        case .notFound(let path): return "\(path) does not exist; give an image, a folder, a glob, a video, v4l2:///dev/videoN, rtsp://... or synthetic://"
        case .noImages(let what): return "\(what) contains no .jpg, .jpeg or .png images"
        case .unsupported(let detail): return detail
        case .badFrame(let path, let error): return "\(path): \(error)"
        case .device(let detail): return "camera: \(detail)"
        case .ffmpeg(let detail): return "ffmpeg: \(detail)"
        }
    }
}

/// Opens frame sources by URI.
public enum FrameSources {
    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]
    static let videoExtensions: Set<String> = ["mp4", "mkv", "avi", "mov", "webm", "m4v", "mpg", "mpeg", "ts", "flv", "wmv", "mjpeg", "mjpg", "h264", "h265", "gif"]

    /// Opens `uri`:
    /// - `synthetic://[WxH][?frames=N&fps=R]`: a moving test pattern;
    /// - `v4l2:///dev/videoN` or `/dev/videoN`: a V4L2 camera (MJPEG or YUYV);
    /// - `rtsp://...`, `rtsps://...`, or a video file: decoded by an ffmpeg subprocess;
    /// - a folder, or a glob such as `photos/*.jpg`: the images in name order;
    /// - a `.jpg`/`.jpeg`/`.png` file (or `file://` URL): that image.
    public static func open(_ uri: String, options: FrameSourceOptions = .init()) throws -> any FrameSource {
        let lower = uri.lowercased()
        if lower.hasPrefix("synthetic://") {
            return try SyntheticSource(uri: uri, options: options)
        }
        if lower.hasPrefix("v4l2://") {
            return try V4L2Source(devicePath: String(uri.dropFirst("v4l2://".count)), options: options)
        }
        if uri.hasPrefix("/dev/video") {
            return try V4L2Source(devicePath: uri, options: options)
        }
        if lower.hasPrefix("rtsp://") || lower.hasPrefix("rtsps://") || lower.hasPrefix("rtmp://") {
            return try FFmpegSource(input: uri, options: options, isStream: true)
        }
        var path = uri
        if lower.hasPrefix("file://") {
            path = URL(string: uri)?.path ?? String(uri.dropFirst("file://".count))
        }
        if path.contains("*") || path.contains("?") || path.contains("[") {
            return try ImageSequenceSource(glob: path, options: options)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FrameSourceError.notFound(path)
        }
        if isDirectory.boolValue {
            return try ImageSequenceSource(directory: path, options: options)
        }
        let ext = (path as NSString).pathExtension.lowercased()
        if imageExtensions.contains(ext) {
            return ImageSequenceSource(files: [path], options: options)
        }
        if videoExtensions.contains(ext) {
            return try FFmpegSource(input: path, options: options, isStream: false)
        }
        // Unknown extension: a still image if its first bytes say so, else let ffmpeg try.
        if let handle = FileHandle(forReadingAtPath: path) {
            let head = (try? handle.read(upToCount: 8)) ?? Data()
            try? handle.close()
            if head.withUnsafeBytes({ ImageFormat.sniff($0) }) != nil {
                return ImageSequenceSource(files: [path], options: options)
            }
        }
        return try FFmpegSource(input: path, options: options, isStream: false)
    }
}
