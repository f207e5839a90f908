import Foundation
import Testing
@testable import Vision

/// Video files through a real ffmpeg subprocess (installed by scripts/setup.sh). RTSP uses the same
/// code path with a network URL; no RTSP server exists here, so only the argument set-up differs
/// and that path is untested.
@Suite("Video files through ffmpeg", .serialized)
struct VideoSourceTests {
    /// A 5-frame 64x48 test video made by ffmpeg itself.
    static func makeVideo(in directory: URL, frames: Int = 5) throws -> String {
        let path = directory.appendingPathComponent("test.mp4").path
        let process = Process()
        process.executableURL = FFmpegSource.executable("ffmpeg")
        process.arguments = ["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10",
                             "-frames:v", "\(frames)", "-c:v", "mpeg4", "-q:v", "2", "-y", path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "ffmpeg could not make a test video: install ffmpeg (scripts/setup.sh)")
        return path
    }

    @Test("decodes every frame of a video file at its size, then ends")
    func decodesVideo() async throws {
        let directory = try TestAssets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try FrameSources.open(try Self.makeVideo(in: directory))
        var frames: [RGBImage] = []
        while let frame = try await source.nextFrame() { frames.append(frame) }
        #expect(frames.count == 5)
        #expect(frames.allSatisfy { $0.width == 64 && $0.height == 48 })
        #expect(frames[0] != frames[4])  // testsrc moves
    }

    @Test("scales on request and loops when asked")
    func scaleAndLoop() async throws {
        let directory = try TestAssets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let video = try Self.makeVideo(in: directory, frames: 3)
        let source = try FrameSources.open(video, options: FrameSourceOptions(loop: true, width: 32, height: 24))
        for _ in 0..<7 {
            let frame = try #require(await source.nextFrame())
            #expect(frame.width == 32 && frame.height == 24)
        }
        await source.close()
    }

    @Test("a file that is not a video is a clear ffmpeg error")
    func notAVideo() async throws {
        let directory = try TestAssets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bogus = directory.appendingPathComponent("clip.mp4")
        try Data((0..<5000).map { UInt8($0 % 251) }).write(to: bogus)
        let source = try FrameSources.open(bogus.path)
        do {
            _ = try await source.nextFrame()
            Issue.record("garbage decoded")
        } catch {
            #expect("\(error)".contains("ffmpeg"))
        }
    }

    @Test("a missing ffmpeg executable is reported with the fix")
    func missingFFmpeg() throws {
        let directory = try TestAssets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = directory.appendingPathComponent("clip.mp4")
        try Data([0]).write(to: clip)
        do {
            _ = try FrameSources.open(clip.path, options: FrameSourceOptions(ffmpegPath: "/nonexistent/ffmpeg"))
            Issue.record("opened without ffmpeg")
        } catch {
            #expect("\(error)".contains("install ffmpeg"))
        }
    }
}

/// V4L2 cameras: there is no camera here, so the negotiation logic and the YUYV conversion are
/// tested directly, and opening things that are not cameras must fail cleanly. Streaming from a
/// real device (REQBUFS/mmap/DQBUF) is untested here.
@Suite("V4L2 camera logic")
struct CameraTests {
    static let webcam: [CameraMode] = [
        CameraMode(format: .yuyv, width: 640, height: 480, frameRates: [30, 15]),
        CameraMode(format: .yuyv, width: 1280, height: 720, frameRates: [10, 5]),
        CameraMode(format: .mjpeg, width: 640, height: 480, frameRates: [30, 15]),
        CameraMode(format: .mjpeg, width: 1280, height: 720, frameRates: [30, 15]),
        CameraMode(format: .mjpeg, width: 1920, height: 1080, frameRates: [30]),
    ]

    @Test("defaults: MJPEG 640x480 at 30 fps")
    func defaults() {
        #expect(CameraNegotiation.choose(from: Self.webcam, width: nil, height: nil, frameRate: nil, format: nil)
                == CameraChoice(format: .mjpeg, width: 640, height: 480, frameRate: 30))
    }

    @Test("an unavailable size takes the smallest one covering it, or the largest")
    func sizes() {
        #expect(CameraNegotiation.choose(from: Self.webcam, width: 800, height: 600, frameRate: nil, format: nil)?.width == 1280)
        #expect(CameraNegotiation.choose(from: Self.webcam, width: 4000, height: 3000, frameRate: nil, format: nil)?.width == 1920)
    }

    @Test("the requested format wins when offered; rates round to what is offered")
    func formatsAndRates() {
        let yuyv = CameraNegotiation.choose(from: Self.webcam, width: 1280, height: 720, frameRate: 30, format: .yuyv)
        #expect(yuyv == CameraChoice(format: .yuyv, width: 1280, height: 720, frameRate: 10))
        let slow = CameraNegotiation.choose(from: Self.webcam, width: 640, height: 480, frameRate: 20, format: nil)
        #expect(slow?.frameRate == 30)
        let onlyYUYV = Self.webcam.filter { $0.format == .yuyv }
        #expect(CameraNegotiation.choose(from: onlyYUYV, width: nil, height: nil, frameRate: nil, format: .mjpeg)?.format == .yuyv)
        #expect(CameraNegotiation.choose(from: [], width: nil, height: nil, frameRate: nil, format: nil) == nil)
    }

    @Test("YUYV converts to the BT.601 colours")
    func yuyv() throws {
        // Pixels: white, black (one pair, neutral chroma), then a red pair (Y 82, U 90, V 240).
        let bytes: [UInt8] = [235, 128, 16, 128, 82, 90, 82, 240]
        let image = try bytes.withUnsafeBytes { try YUYV.toRGB($0, width: 2, height: 2) }
        #expect(image[0, 0] == RGB(255, 255, 255))
        #expect(image[1, 0] == RGB(0, 0, 0))
        let red = try #require(image[0, 1])
        #expect(red.red > 240 && red.green < 10 && red.blue < 10)
        #expect(throws: VisionError.self) { try bytes.withUnsafeBytes { try YUYV.toRGB($0, width: 4, height: 4) } }
    }

    @Test("devices that are not cameras are refused with the reason")
    func notCameras() throws {
        do {
            _ = try FrameSources.open("v4l2:///dev/null")
            Issue.record("/dev/null accepted as a camera")
        } catch {
            #expect("\(error)".contains("not a V4L2 device"))
        }
        do {
            _ = try FrameSources.open("/dev/video99")
            Issue.record("/dev/video99 opened")
        } catch {
            #expect("\(error)".contains("cannot open /dev/video99"))
        }
    }
}
