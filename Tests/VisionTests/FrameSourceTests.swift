import Foundation
import Testing
@testable import Vision

@Suite("Frame sources")
struct FrameSourceTests {
    @Test("a folder gives its images in name order, then ends, or loops")
    func folder() async throws {
        let directory = try TestAssets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (i, size) in [(2, 20), (10, 30), (1, 10)] {
            let jpeg = try ImageCodec.encodeJPEG(RGBImage(width: size, height: size, color: .green))
            try Data(jpeg).write(to: directory.appendingPathComponent("frame\(i).jpg"))
        }
        try Data("notes".utf8).write(to: directory.appendingPathComponent("notes.txt"))
        let source = try FrameSources.open(directory.path)
        var sizes: [Int] = []
        while let frame = try await source.nextFrame() { sizes.append(frame.width) }
        #expect(sizes == [10, 20, 30])

        let looping = try FrameSources.open(directory.path, options: FrameSourceOptions(loop: true))
        var looped: [Int] = []
        for _ in 0..<7 { looped.append(try #require(await looping.nextFrame()).width) }
        #expect(looped == [10, 20, 30, 10, 20, 30, 10])

        let glob = try FrameSources.open(directory.path + "/frame1*.jpg")
        #expect(try await glob.nextFrame()?.width == 10)
        #expect(try await glob.nextFrame()?.width == 30)
        #expect(try await glob.nextFrame() == nil)
    }

    @Test("with a frame rate a folder plays in real time, as a camera: a slow reader skips frames, a fast one waits")
    func folderInRealTime() async throws {
        let directory = try TestAssets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for i in 0..<200 {
            let jpeg = try ImageCodec.encodeJPEG(RGBImage(width: 8 + i, height: 8, color: .green))
            try Data(jpeg).write(to: directory.appendingPathComponent(String(format: "frame%03d.jpg", i)))
        }
        let source = try FrameSources.open(directory.path, options: FrameSourceOptions(loop: true, frameRate: 50))
        let first = try #require(await source.nextFrame()).width - 8
        // A reader that falls behind does not see the frames it missed...
        try await Task.sleep(for: .milliseconds(400))
        let later = try #require(await source.nextFrame()).width - 8
        #expect(later - first >= 10)
        // ...and one that reads at once never gets the same frame twice.
        let next = try #require(await source.nextFrame()).width - 8
        #expect(next > later)
    }

    @Test("a corrupt file in a folder is reported and the folder continues")
    func corruptFileInFolder() async throws {
        let directory = try TestAssets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = try ImageCodec.encodeJPEG(RGBImage(width: 16, height: 16))
        try Data(good).write(to: directory.appendingPathComponent("a.jpg"))
        try Data(good.prefix(40)).write(to: directory.appendingPathComponent("b.jpg"))
        try Data(good).write(to: directory.appendingPathComponent("c.jpg"))
        let source = try FrameSources.open(directory.path)
        #expect(try await source.nextFrame() != nil)
        await #expect(throws: FrameSourceError.self) { try await source.nextFrame() }
        #expect(try await source.nextFrame() != nil)
        #expect(try await source.nextFrame() == nil)
    }

    @Test("a single image file, also as a file:// URL")
    func singleFile() async throws {
        let path = try TestAssets.path("photos/coffee.jpg")
        for uri in [path, "file://" + path] {
            let source = try FrameSources.open(uri)
            #expect(try await source.nextFrame()?.width == 600)
            #expect(try await source.nextFrame() == nil)
        }
    }

    @Test("synthetic frames have the requested size and count, and move")
    func synthetic() async throws {
        let source = try FrameSources.open("synthetic://64x48?frames=3")
        let a = try #require(await source.nextFrame())
        let b = try #require(await source.nextFrame())
        _ = try #require(await source.nextFrame())
        #expect(try await source.nextFrame() == nil)
        #expect(a.width == 64 && a.height == 48)
        #expect(a != b)
        #expect(throws: FrameSourceError.self) { try FrameSources.open("synthetic://64by48") }
        #expect(throws: FrameSourceError.self) { try FrameSources.open("synthetic://?colour=red") }
    }

    @Test("missing paths and empty folders are clear errors")
    func missing() throws {
        #expect(throws: FrameSourceError.self) { try FrameSources.open("/nonexistent/photo.jpg") }
        let directory = try TestAssets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            _ = try FrameSources.open(directory.path)
            Issue.record("empty folder accepted")
        } catch {
            #expect("\(error)".contains("contains no .jpg"))
        }
    }
}
