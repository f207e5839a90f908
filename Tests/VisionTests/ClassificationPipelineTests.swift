import Foundation
import Synchronization
import Testing
@testable import Vision

@Suite("Classification pipeline")
struct ClassificationPipelineTests {
    @Test("classifies every frame in order, skips bad ones, and stops at the frame limit")
    func pipeline() async throws {
        let directory = try TestAssets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let photos = ["coffee.jpg", "chelsea.jpg", "coffee.png"]
        for (i, photo) in photos.enumerated() {
            try TestAssets.data("photos/\(photo)").write(to: directory.appendingPathComponent("\(i * 2).\((photo as NSString).pathExtension)"))
        }
        try Data([0xFF, 0xD8, 0xFF, 0x00]).write(to: directory.appendingPathComponent("1.jpg"))
        let classifier = try ImageClassifier(configuration: ClassifierConfiguration.defaultModel(home: TestAssets.home))
        let pipeline = ClassificationPipeline(classifier: classifier, topK: 2)
        let skipped = Mutex(0)
        var indices: [Int] = []
        var classes: [Int] = []
        try await pipeline.forEachFrame(from: try FrameSources.open(directory.path), skipped: { _ in skipped.withLock { $0 += 1 } }) { frame in
            indices.append(frame.index)
            classes.append(frame.result.top[0].classIndex)
            #expect(frame.result.top.count == 2)
            #expect(frame.result.timings.inference > .zero && frame.result.timings.preprocess > .zero)
        }
        #expect(indices == [0, 1, 2])
        #expect(classes[0] == 967 && classes[2] == 967 && [281, 282, 285].contains(classes[1]))
        #expect(skipped.withLock { $0 } == 1)

        var limited = 0
        try await pipeline.forEachFrame(from: try FrameSources.open("synthetic://64x64"), maximumFrames: 4) { _ in limited += 1 }
        #expect(limited == 4)
    }

    @Test("firstFrame stops at the first match and reads no further")
    func firstMatch() async throws {
        let directory = try TestAssets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (i, photo) in ["chelsea.jpg", "coffee.jpg", "chelsea.jpg", "coffee.jpg"].enumerated() {
            try TestAssets.data("photos/\(photo)").write(to: directory.appendingPathComponent("\(i).jpg"))
        }
        let classifier = try ImageClassifier(configuration: ClassifierConfiguration.defaultModel(home: TestAssets.home))
        let pipeline = ClassificationPipeline(classifier: classifier, topK: 1)
        let seen = Mutex<[Int]>([])
        let match = try await pipeline.firstFrame(from: try FrameSources.open(directory.path)) { frame in
            seen.withLock { $0.append(frame.index) }
            return frame.result.top.first?.classIndex == 967
        }
        #expect(match?.index == 1)
        #expect(seen.withLock { $0 } == [0, 1])
        let none = try await pipeline.firstFrame(from: try FrameSources.open(directory.path), maximumFrames: 1) { frame in
            frame.result.top.first?.classIndex == 967
        }
        #expect(none == nil)
    }

    @Test("a source error ends the run with that error")
    func sourceError() async throws {
        let directory = try TestAssets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let classifier = try ImageClassifier(configuration: ClassifierConfiguration.defaultModel(home: TestAssets.home))
        let source = try FrameSources.open(try VideoSourceTests.makeVideo(in: directory))
        var count = 0
        try await ClassificationPipeline(classifier: classifier).forEachFrame(from: source) { _ in count += 1 }
        #expect(count == 5)
        let broken = directory.appendingPathComponent("broken.mp4")
        try Data(repeating: 7, count: 1000).write(to: broken)
        await #expect(throws: FrameSourceError.self) {
            try await ClassificationPipeline(classifier: classifier).forEachFrame(from: try FrameSources.open(broken.path)) { _ in }
        }
    }
}
