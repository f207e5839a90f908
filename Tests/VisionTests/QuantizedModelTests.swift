import Foundation
import Testing
@testable import Vision

/// Set-up's int8 EfficientNet-Lite0 (scripts/make-int8-model.sh) through the Swift classifier: it
/// loads like the fp32 original and gives its answers on the sample photos. The agreement on every
/// real photo and video frame is Tests/Python/test_int8_agreement.py (the same models and library
/// on the reference pre-processing: debug Swift pre-processing takes most of a second per frame,
/// so that many frames would take over ten minutes here). Speed is in the benchmark, not tested.
@Suite("int8 EfficientNet-Lite0 against fp32", .serialized)
struct QuantizedModelTests {
    static func classifiers() throws -> (fp32: ImageClassifier, int8: ImageClassifier) {
        let directory = ModelDirectory.standard(home: TestAssets.home)
        var fp32 = try directory.configuration(for: ModelDirectory.efficientNetLite0)
        var int8 = try directory.configuration(for: ModelDirectory.efficientNetLite0Int8)
        fp32.session.threads = 2
        int8.session.threads = 2
        return (try ImageClassifier(configuration: fp32), try ImageClassifier(configuration: int8))
    }

    static func frames(in folder: String) throws -> [String] {
        let directory = try TestAssets.path(folder)
        return try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") }.sorted().map { directory + "/" + $0 }
    }

    @Test("the int8 model loads like the fp32 one: same input, classes, labels, pre-processing and a 1280-d embedding")
    func loadsLikeFP32() throws {
        let (fp32, int8) = try Self.classifiers()
        #expect(int8.inputWidth == fp32.inputWidth && int8.inputHeight == fp32.inputHeight)
        #expect(int8.labels == fp32.labels)
        #expect(int8.preprocessing == fp32.preprocessing)
        #expect(int8.embeddingOutput?.name == "features")
        #expect(int8.identity.embeddingDimension == 1280)
        #expect(int8.identity.sha256 != fp32.identity.sha256, "a template made with one model must not pass as the other's")
        let top = try int8.classify(ImageCodec.decode(TestAssets.data("photos/coffee.jpg")), topK: 1)
        #expect(top.first?.classIndex == 967, "int8 on coffee.jpg: \(top)")
    }

    @Test("through the Swift classifier, int8 gives fp32's best class and keeps it in its top 5 on the sample photos and test tensors")
    func agreementOnPhotos() throws {
        let (fp32, int8) = try Self.classifiers()
        var agreement = ModelAgreement()
        for path in try Self.frames(in: "photos") {
            let image = try ImageCodec.decode(contentsOf: URL(fileURLWithPath: path), options: fp32.decodingOptions)
            try agreement.compare(fp32, int8, tensor: fp32.makeTensor(image))
        }
        for name in ["coffee-efficientnet", "chelsea-efficientnet"] {
            try agreement.compare(fp32, int8, tensor: TestAssets.floats("test-assets/\(name).input.f32"))
        }
        print("int8 vs fp32, photos and test tensors: \(agreement)")
        #expect(agreement.frames >= 10)
        #expect(agreement.top1Matches == agreement.frames && agreement.top5Matches == agreement.frames, "\(agreement)")
        #expect(agreement.lowestEmbeddingSimilarity >= 0.98, "\(agreement)")
    }
}
