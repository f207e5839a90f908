import Foundation
import Testing
@testable import Vision

@Suite("Models chosen by name from a models folder")
struct ModelDirectoryTests {
    @Test("a --model value without / or .onnx is a name; anything else is a file")
    func namesAndPaths() {
        #expect(ModelDirectory.isModelName("efficientnet-lite0-int8"))
        #expect(ModelDirectory.isModelName("resnet18"))
        #expect(!ModelDirectory.isModelName("resnet18.onnx"))
        #expect(!ModelDirectory.isModelName("models/resnet18"))
        #expect(!ModelDirectory.isModelName("/opt/models/x.ONNX"))
        #expect(!ModelDirectory.isModelName(""))
    }

    @Test("a model's own labels come first, then the shared labels.txt; a missing model or labels is a clear error")
    func files() throws {
        let folder = try TestAssets.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let directory = ModelDirectory(path: folder.path)
        #expect(throws: ClassifierError.modelNotFound(folder.path + "/a.onnx")) { try directory.files(for: "a") }
        try Data("x".utf8).write(to: folder.appendingPathComponent("a.onnx"))
        #expect(throws: ClassifierError.self) { try directory.files(for: "a") }
        try Data("one\n".utf8).write(to: folder.appendingPathComponent("labels.txt"))
        #expect(try directory.files(for: "a").labels == folder.path + "/labels.txt")
        try Data("one\n".utf8).write(to: folder.appendingPathComponent("a.labels.txt"))
        #expect(try directory.files(for: "a") == (folder.path + "/a.onnx", folder.path + "/a.labels.txt"))
    }

    @Test("set-up's int8 model resolves by name, with the shared ImageNet labels")
    func int8ByName() throws {
        let configuration = try ModelDirectory.standard(home: TestAssets.home).configuration(for: ModelDirectory.efficientNetLite0Int8)
        #expect(configuration.modelPath.hasSuffix("/models/efficientnet-lite0-int8.onnx"))
        #expect(configuration.labelsPath?.hasSuffix("/models/labels.txt") == true)
    }
}
