import Foundation
import TestSupport
import Testing
@testable import Vision

/// Templates without a model: file format, tampering, model identity, the matching rule and the
/// enrolment rules, on synthetic embeddings.
@Suite("Personal-object templates")
struct ObjectTemplateTests {
    static let model = ModelIdentity(fileName: "m.onnx", sha256: String(repeating: "ab", count: 32), embeddingOutput: "features", embeddingDimension: 8, preprocessing: "crop")

    static func unit(_ values: [Float]) -> Embedding {
        Embedding(normalizing: values)!
    }

    static func basis(_ i: Int, dimension: Int = 8, tilt: Float = 0) -> Embedding {
        var v = [Float](repeating: 0, count: dimension)
        v[i % dimension] = 1
        v[(i + 1) % dimension] = tilt
        return unit(v)
    }

    static func template(views: [Embedding] = (0..<4).map { basis($0) }, emptyScene: [Embedding] = []) throws -> ObjectTemplate {
        try ObjectTemplate(id: String(repeating: "0123456789abcdef", count: 2), name: "blue mug", createdAt: Date(timeIntervalSince1970: 1_800_000_000),
                           model: model, views: views, emptyScene: emptyScene, metadata: ["account": "x"])
    }

    @Test("a template survives its file format byte for byte")
    func roundTrip() throws {
        let template = try Self.template(emptyScene: [Self.basis(5)])
        let decoded = try ObjectTemplate(decoding: template.encoded())
        #expect(decoded == template)
        #expect(decoded.encoded() == template.encoded())
    }

    @Test("a truncated, altered or foreign file is refused with a clear error")
    func damagedFiles() throws {
        let bytes = [UInt8](try Self.template().encoded())
        for cut in [0, 5, 12, bytes.count / 2, bytes.count - 1] {
            #expect(throws: TemplateError.self) { try ObjectTemplate(decoding: Data(bytes.prefix(cut))) }
        }
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x40
        #expect { try ObjectTemplate(decoding: Data(flipped)) } throws: { error in
            "\(error)".contains("checksum mismatch")
        }
        #expect { try ObjectTemplate(decoding: Data("{\"views\": []}".utf8)) } throws: { error in
            "\(error)".contains("not an EdgeFactor template")
        }
        var future = bytes
        future[8] = 9
        #expect(throws: TemplateError.unsupportedVersion(9)) { try ObjectTemplate(decoding: Data(future)) }
    }

    @Test("the parser survives 20,000 random mutations: an error or a valid template, never a crash")
    func fuzz() throws {
        let valid = [UInt8](try Self.template(emptyScene: [Self.basis(6)]).encoded())
        var generator = SplitMix64(seed: 0x7e3a_11)
        var parsed = 0
        for _ in 0..<20_000 {
            let mutated = ByteMutator.mutate(valid, using: &generator)
            // A flip can write the byte that was there: no damage, nothing to refuse.
            if mutated == valid { continue }
            if let template = try? ObjectTemplate(decoding: Data(mutated)) {
                parsed += 1
                #expect(template.views.allSatisfy { abs($0.values.reduce(0) { $0 + $1 * $1 } - 1) < 1e-3 })
            }
        }
        // The digest makes any accepted mutation vanishingly unlikely.
        #expect(parsed == 0)
    }

    @Test("a template made with another model, output or pre-processing is refused, saying so")
    func otherModel() throws {
        let template = try Self.template()
        try template.checkCompatible(with: Self.model)
        for change in [\ModelIdentity.sha256, \.preprocessing] {
            var other = Self.model
            other[keyPath: change] = "different"
            #expect { try template.checkCompatible(with: other) } throws: { error in
                "\(error)".contains("was made with model") && "\(error)".contains("enrol the object again")
            }
        }
        var dimension = Self.model
        dimension.embeddingDimension = 16
        #expect(throws: TemplateError.self) { try template.checkCompatible(with: dimension) }
    }

    @Test("a frame's score is its best view's similarity")
    func similarity() throws {
        let template = try Self.template(emptyScene: [Self.basis(6)])
        #expect(abs(template.similarity(Self.basis(2)) - 1) < 1e-6)
        #expect(abs(template.similarity(Self.basis(7))) < 1e-6)
        #expect(abs((template.emptySceneSimilarity(Self.basis(6)) ?? 0) - 1) < 1e-6)
        #expect(Embedding(normalizing: [0, 0, 0]) == nil)
        #expect(Embedding(normalizing: [.nan, 1]) == nil)
    }

    @Test("one lucky frame never verifies: M of the last W frames must match")
    func trackerNeedsSeveralFrames() {
        var tracker = MatchTracker(policy: MatchPolicy(threshold: 0.8, requiredFrames: 3, window: 5))
        let r1 = tracker.record(similarity: 0.95)
        #expect(!r1)
        let r2 = tracker.record(similarity: 0.2)
        #expect(!r2)
        let r3 = tracker.record(similarity: 0.3)
        #expect(!r3)
        let r4 = tracker.record(similarity: 0.85)
        #expect(!r4)
        let r5 = tracker.record(similarity: 0.1)
        #expect(!r5)
        // The first 0.95 has left the window: still two matches in the last five.
        let r6 = tracker.record(similarity: 0.5)
        #expect(!r6)
        let r7 = tracker.record(similarity: 0.82)
        #expect(!r7)
        let r7b = tracker.record(similarity: 0.9)
        #expect(r7b)
        #expect(tracker.decidingSimilarity == 0.82)
        #expect(tracker.bestSimilarity == 0.95)
    }

    @Test("a frame closer to the empty scene than to the object does not count")
    func emptySceneMargin() {
        let tracker = MatchTracker(policy: MatchPolicy(threshold: 0.8, requiredFrames: 1, window: 1, emptySceneMargin: 0.05))
        #expect(tracker.isMatch(similarity: 0.9, emptyScene: nil))
        #expect(tracker.isMatch(similarity: 0.9, emptyScene: 0.8))
        #expect(!tracker.isMatch(similarity: 0.9, emptyScene: 0.88))
        #expect(!tracker.isMatch(similarity: 0.79, emptyScene: nil))
    }

    @Test("enrolment keeps sharp, distinct views and refuses repeats, blur and the empty scene")
    func builderRules() throws {
        var builder = TemplateBuilder(policy: .init(wantedViews: 3, minimumViews: 3, minimumSharpness: 10, maximumViewSimilarity: 0.95, maximumEmptySceneSimilarity: 0.9))
        builder.addEmptyScene(Self.basis(7))
        let r8 = builder.offer(Self.basis(0), sharpness: 50)
        #expect(r8 == .accepted(view: 0))
        let r9 = builder.offer(Self.basis(0, tilt: 0.01), sharpness: 50)
        #expect(r9 == .repeated(similarity: Double(Self.basis(0).similarity(to: Self.basis(0, tilt: 0.01)))))
        let r10 = builder.offer(Self.basis(1), sharpness: 2)
        #expect(r10 == .blurry(sharpness: 2))
        let scene = builder.offer(Self.basis(7), sharpness: 50)
        if case .emptyScene = scene {} else { Issue.record("the empty scene was kept as a view") }
        #expect(builder.refusal != nil)
        let r11 = builder.offer(Self.basis(1), sharpness: 40)
        #expect(r11 == .accepted(view: 1))
        let r12 = builder.offer(Self.basis(2), sharpness: 90)
        #expect(r12 == .accepted(view: 2))
        let last = builder.offer(Self.basis(3), sharpness: 90)
        #expect(builder.isComplete && last == .complete)
        let template = try builder.build(id: String(repeating: "a", count: 32), name: "keys", model: Self.model)
        #expect(template.views.count == 3 && template.emptyScene.count == 1)
        #expect(builder.sharpestView == 2)
    }

    @Test("an enrolment of black frames, of nothing, or of one still view is refused with what to do")
    func builderRefusals() {
        var none = TemplateBuilder()
        #expect(none.refusal?.reason == .noFrames)
        let empty0 = none
        #expect(throws: TemplateError.self) { try empty0.build(id: String(repeating: "a", count: 32), name: "x", model: Self.model) }
        let black = RGBImage(width: 64, height: 48)
        #expect(Sharpness.varianceOfLaplacian(black) == 0)
        for _ in 0..<10 { _ = none.offer(Self.basis(0), sharpness: Sharpness.varianceOfLaplacian(black)) }
        #expect(none.refusal?.reason == .blurry)
        #expect(none.refusal?.description.contains("light the object") == true)
        var still = TemplateBuilder()
        for _ in 0..<10 { _ = still.offer(Self.basis(0), sharpness: 100) }
        #expect(still.refusal?.reason == .tooFewViews)
        #expect(still.refusal?.description.contains("turn the object slowly") == true)
        var empty = TemplateBuilder()
        empty.addEmptyScene(Self.basis(0))
        for _ in 0..<10 { _ = empty.offer(Self.basis(0, tilt: 0.1), sharpness: 100) }
        #expect(empty.refusal?.reason == .emptyScene)
    }

    @Test("a capture that ends short of the views wanted is topped up with the most different repeats, never with duplicates")
    func builderTopUp() throws {
        var builder = TemplateBuilder(policy: .init(wantedViews: 4, minimumViews: 3, minimumSharpness: 10, maximumViewSimilarity: 0.90, maximumEmptySceneSimilarity: 0.9))
        let a = Self.unit([1, 0, 0, 0, 0, 0, 0, 0]), b = Self.unit([0, 1, 0, 0, 0, 0, 0, 0])
        let nearA = Self.unit([1, 0.45, 0, 0, 0, 0, 0, 0])   // 0.91 to a: a repeat, but a distinct one
        let duplicate = Self.unit([1, 0.05, 0, 0, 0, 0, 0, 0])  // 0.999 to a
        for (embedding, _) in [(a, 0), (b, 1), (duplicate, 2), (nearA, 3), (duplicate, 4)] { _ = builder.offer(embedding, sharpness: 50) }
        #expect(builder.views.count == 2)
        #expect(builder.finalViews.count == 3)
        #expect(builder.finalViews.last == nearA)
        #expect(builder.refusal == nil)
        let template = try builder.build(id: String(repeating: "b", count: 32), name: "cup", model: Self.model)
        #expect(template.views.count == 3)
    }

    @Test("sharpness tells a detailed frame from a smooth or flat one")
    func sharpness() {
        let pattern = RGBImage.testPattern(width: 320, height: 240)
        let flat = RGBImage(width: 320, height: 240, color: RGB(128, 128, 128))
        #expect(Sharpness.varianceOfLaplacian(pattern) > 100)
        #expect(Sharpness.varianceOfLaplacian(flat) == 0)
    }
}
