import Foundation
import Testing
@testable import Vision

@Suite("Image classifier on ONNX Runtime", .serialized)
struct ClassifierTests {
    static func defaultClassifier(threads: Int = 2) throws -> ImageClassifier {
        var configuration = try ClassifierConfiguration.defaultModel(home: TestAssets.home)
        configuration.session.threads = threads
        return try ImageClassifier(configuration: configuration)
    }

    @Test("the default model finds the espresso in coffee.png and the cat in chelsea")
    func defaultModelPhotos() throws {
        let classifier = try Self.defaultClassifier()
        #expect(classifier.inputWidth == 224 && classifier.inputHeight == 224)
        #expect(classifier.labels.count == 1000)
        for file in ["photos/coffee.png", "photos/coffee.jpg"] {
            let top = try classifier.classify(ImageCodec.decode(TestAssets.data(file)), topK: 5)
            #expect(top.count == 5)
            #expect(top[0].classIndex == 967, "\(file): \(top)")
            #expect(top[0].label.hasPrefix("espresso"))
            #expect(top[0].confidence > 0.8)
            #expect(zip(top, top.dropFirst()).allSatisfy { $0.confidence >= $1.confidence })
        }
        for file in ["photos/chelsea.png", "photos/chelsea.jpg"] {
            let top = try classifier.classify(ImageCodec.decode(TestAssets.data(file)), topK: 3)
            #expect([281, 282, 285].contains(top[0].classIndex), "\(file): \(top)")
        }
    }

    @Test("probabilities sum to one and timings are reported")
    func details() throws {
        let classifier = try Self.defaultClassifier()
        let result = try classifier.classifyWithDetails(ImageCodec.decode(TestAssets.data("photos/coffee.jpg")))
        #expect(abs(result.probabilities.reduce(0, +) - 1) < 1e-4)
        #expect(result.timings.inference > .zero && result.timings.preprocess > .zero)
    }

    @Test("logits match Python onnxruntime on the same input tensor (max |Δ| ≤ 1e-4)",
          arguments: ["coffee-efficientnet", "chelsea-efficientnet", "coffee-resnet18-3class", "chelsea-resnet18-3class"])
    func logitParity(reference: String) throws {
        let manifest = try JSONSerialization.jsonObject(with: TestAssets.data("test-assets/manifest.json")) as? [String: Any]
        let cases = try #require(manifest?["cases"] as? [[String: Any]])
        let entry = try #require(cases.first { ($0["input"] as? String) == "test-assets/\(reference).input.f32" })
        let model = try TestAssets.path(try #require(entry["model"] as? String))
        let classifier = try ImageClassifier(configuration: ClassifierConfiguration(modelPath: model, session: SessionOptions(threads: 1)))
        var input = try TestAssets.floats("test-assets/\(reference).input.f32")
        let expected = try TestAssets.floats("test-assets/\(reference).logits.f32")
        let logits = try classifier.infer(&input)
        #expect(logits.count == expected.count)
        let maxDifference = zip(logits, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxDifference <= 1e-4, "max |Δlogit| = \(maxDifference)")
    }
    @Test("threads that sleep while they wait give the logits that spinning ones give")
    func sleepingThreads() throws {
        let model = try TestAssets.path("models/efficientnet-lite0.onnx")
        let spinning = try ImageClassifier(configuration: ClassifierConfiguration(modelPath: model, session: SessionOptions(threads: 2, spinning: true)))
        let sleeping = try ImageClassifier(configuration: ClassifierConfiguration(modelPath: model, session: SessionOptions(threads: 2, spinning: false)))
        var input = try TestAssets.floats("test-assets/coffee-efficientnet.input.f32")
        var same = input
        let expected = try spinning.infer(&input)
        let logits = try sleeping.infer(&same)
        #expect(logits.count == expected.count && logits.count == 1000)
        let maxDifference = zip(logits, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxDifference <= 1e-5, "max |Δlogit| = \(maxDifference)")
    }


    @Test("a ResNet-18-shaped custom model with 3 classes runs through the same path")
    func customModel() throws {
        let configuration = ClassifierConfiguration(
            modelPath: try TestAssets.path("models/test/resnet18-3class.onnx"),
            labelsPath: try TestAssets.path("models/test/resnet18-3class.labels.txt"),
            inputName: "input_0", outputName: "output_0")
        let classifier = try ImageClassifier(configuration: configuration)
        #expect(classifier.preprocessing == .jetson)
        #expect(classifier.labels.labels == ["phone", "keys", "wallet"])
        let top = try classifier.classify(ImageCodec.decode(TestAssets.data("photos/chelsea.jpg")), topK: 10)
        #expect(top.count == 3)
        #expect(abs(top.map(\.confidence).reduce(0, +) - 1) < 1e-5)
        #expect(Set(top.map(\.label)) == ["phone", "keys", "wallet"])
    }

    @Test("concurrent classification gives the same answers as one at a time")
    func concurrent() async throws {
        let classifier = try Self.defaultClassifier(threads: 1)
        let images = try ["photos/coffee.jpg", "photos/chelsea.jpg", "photos/astronaut.jpg", "photos/motorcycle_left.jpg"]
            .map { try ImageCodec.decode(TestAssets.data($0)) }
        let sequential = try images.map { try classifier.classify($0, topK: 1)[0].classIndex }
        let parallel = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for (i, image) in images.enumerated() {
                group.addTask { (i, try classifier.classify(image, topK: 1)[0].classIndex) }
            }
            var result = [Int](repeating: -1, count: images.count)
            for try await (i, index) in group { result[i] = index }
            return result
        }
        #expect(parallel == sequential)
    }

    @Test("a labels file whose count does not match the model is refused")
    func labelMismatch() throws {
        let configuration = ClassifierConfiguration(
            modelPath: try TestAssets.path("models/test/resnet18-3class.onnx"),
            labelsPath: try TestAssets.path("models/test/two-labels.txt"))
        #expect(throws: ClassifierError.labelCountMismatch(labels: 2, outputs: 3, labelsPath: try TestAssets.path("models/test/two-labels.txt"))) {
            try ImageClassifier(configuration: configuration)
        }
    }

    @Test("models with unexpected shapes are refused", arguments: ["gray-input", "vector-input"])
    func unexpectedShapes(model: String) throws {
        let configuration = ClassifierConfiguration(modelPath: try TestAssets.path("models/test/\(model).onnx"))
        do {
            _ = try ImageClassifier(configuration: configuration)
            Issue.record("\(model) was accepted")
        } catch {
            guard case .unexpectedModel = error else { Issue.record("unexpected error \(error)"); return }
            #expect(error.description.contains("does not look like an image classifier"))
        }
    }

    @Test("unknown input and output names are refused and list the real ones")
    func unknownNames() throws {
        let model = try TestAssets.path("models/test/resnet18-3class.onnx")
        do {
            _ = try ImageClassifier(configuration: ClassifierConfiguration(modelPath: model, inputName: "data"))
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("input_0"))
        }
        #expect(throws: ClassifierError.self) {
            try ImageClassifier(configuration: ClassifierConfiguration(modelPath: model, outputName: "prob"))
        }
    }

    @Test("a missing or non-ONNX model file is a clear error")
    func badModelFiles() throws {
        #expect(throws: ClassifierError.modelNotFound("/nonexistent/model.onnx")) {
            try ImageClassifier(configuration: ClassifierConfiguration(modelPath: "/nonexistent/model.onnx"))
        }
        let directory = try TestAssets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let garbage = directory.appendingPathComponent("garbage.onnx")
        try Data("this is not a model".utf8).write(to: garbage)
        do {
            _ = try ImageClassifier(configuration: ClassifierConfiguration(modelPath: garbage.path))
            Issue.record("garbage accepted")
        } catch {
            guard case .runtime = error else { Issue.record("unexpected error \(error)"); return }
            #expect(error.description.contains("load the model"))
        }
    }

    @Test("a missing ONNX Runtime library says to run scripts/setup.sh")
    func missingRuntime() throws {
        let model = try TestAssets.path("models/test/resnet18-3class.onnx")
        for library in ["/nonexistent/libonnxruntime.so", "libm.so.6"] {
            do {
                _ = try ImageClassifier(configuration: ClassifierConfiguration(modelPath: model, runtimeLibrary: library))
                Issue.record("\(library) accepted")
            } catch {
                guard case .runtimeNotFound = error else { Issue.record("unexpected error \(error)"); continue }
                #expect(error.description.contains("scripts/setup.sh"))
                #expect(error.description.contains(library))
            }
        }
    }

    @Test("the search order: the explicit path, else <home>/runtime, then the system (the caller says both)")
    func searchOrder() {
        #expect(ONNXRuntime.candidates(explicit: "/x.so", home: "/h") == ["/x.so"])
        #expect(ONNXRuntime.candidates(explicit: nil, home: "/h")
                == ["/h/runtime/libonnxruntime.so", "libonnxruntime.so", "libonnxruntime.so.1"])
        #expect(ONNXRuntime.candidates(explicit: nil, home: nil).first
                == FileManager.default.currentDirectoryPath + "/var/runtime/libonnxruntime.so")
        #expect(VisionHome.directory(home: "/h") == "/h")
    }

    @Test("CUDA and TensorRT fail with a clear error on the CPU-only runtime")
    func unavailableProviders() throws {
        let model = try TestAssets.path("models/test/resnet18-3class.onnx")
        for provider in [ExecutionProvider.cuda(device: 0), .tensorRT(device: 0)] {
            do {
                _ = try ImageClassifier(configuration: ClassifierConfiguration(modelPath: model, session: SessionOptions(provider: provider)))
                Issue.record("\(provider) accepted by a CPU-only runtime")
            } catch {
                guard case .providerUnavailable = error else { Issue.record("unexpected error \(error)"); continue }
                #expect(error.description.contains("--provider cpu"))
            }
        }
        #expect(ExecutionProvider("cuda:1") == .cuda(device: 1))
        #expect(ExecutionProvider("gpu") == nil)
    }

    @Test("an inconsistent image or tensor is refused, not read out of bounds")
    func badInputs() throws {
        let classifier = try ImageClassifier(configuration: ClassifierConfiguration(
            modelPath: try TestAssets.path("models/test/resnet18-3class.onnx")))
        var image = RGBImage(width: 10, height: 10)
        image.pixels.removeLast(5)
        #expect(throws: ClassifierError.self) { try classifier.classify(image) }
        var short = [Float](repeating: 0, count: 10)
        #expect(throws: ClassifierError.self) { try classifier.infer(&short) }
    }
}
