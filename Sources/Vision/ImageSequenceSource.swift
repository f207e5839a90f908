import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Still images from files: one file, a folder (name order) or a glob.
///
/// With a frame rate the images play in real time, as a camera delivers frames: each read returns
/// the image due now, skipping those a slow reader missed and waiting when it reads faster than
/// the rate. Without one, each read returns the next image.
actor ImageSequenceSource: FrameSource {
    let files: [String]
    let options: FrameSourceOptions
    private var next = 0
    /// Real-time playback: when the first frame was read, and the frame number read last.
    private var playbackStart: ContinuousClock.Instant?
    private var lastFrameNumber = -1

    /// Files larger than this are refused before reading (bounded memory on bad input).
    static let maximumFileSize = 256 << 20

    init(files: [String], options: FrameSourceOptions) {
        self.files = files
        self.options = options
    }

    init(directory: String, options: FrameSourceOptions) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        let images = names.filter { FrameSources.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted { $0.localizedStandardCompare($1) == .orderedAscending }
        guard !images.isEmpty else { throw FrameSourceError.noImages(directory) }
        self.init(files: images.map { (directory as NSString).appendingPathComponent($0) }, options: options)
    }

    init(glob pattern: String, options: FrameSourceOptions) throws {
        var matches = glob_t()
        defer { globfree(&matches) }
        let status = Glibc.glob(pattern, 0, nil, &matches)
        var paths: [String] = []
        if status == 0 {
            for i in 0..<Int(matches.gl_pathc) {
                if let p = matches.gl_pathv[i] { paths.append(String(cString: p)) }
            }
        }
        let images = paths.filter { FrameSources.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted { $0.localizedStandardCompare($1) == .orderedAscending }
        guard !images.isEmpty else { throw FrameSourceError.noImages("the pattern \(pattern)") }
        self.init(files: images, options: options)
    }

    func nextFrame() async throws -> RGBImage? {
        if let rate = options.frameRate, rate > 0, rate.isFinite, files.count > 1 {
            guard let index = try await dueIndex(rate: rate) else { return nil }
            next = index
        }
        if next >= files.count {
            guard options.loop, !files.isEmpty else { return nil }
            next = 0
        }
        let path = files[next]
        next += 1
        let data: Data
        do {
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            guard size <= Self.maximumFileSize else {
                throw FrameSourceError.unsupported("\(path) is \(size) bytes; images over \(Self.maximumFileSize) bytes are refused")
            }
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let error as FrameSourceError {
            throw error
        } catch {
            throw FrameSourceError.notFound(path)
        }
        do {
            return try ImageCodec.decode(data, options: options.decoding)
        } catch {
            throw FrameSourceError.badFrame(path: path, error)
        }
    }

    /// The index of the image due now at `rate` frames per second (nil past the end without
    /// looping); waits for the next one when the previous read took it already.
    private func dueIndex(rate: Double) async throws -> Int? {
        let clock = ContinuousClock()
        let start = playbackStart ?? clock.now
        playbackStart = start
        var frame = Int((clock.now - start) / .seconds(1) * rate)
        if frame <= lastFrameNumber {
            frame = lastFrameNumber + 1
            try await clock.sleep(until: start + .seconds(Double(frame) / rate))
        }
        lastFrameNumber = frame
        guard options.loop || frame < files.count else { return nil }
        return frame % files.count
    }
}
