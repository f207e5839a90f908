import Foundation
import TestSupport
import Testing
@testable import Vision

/// Files made by scripts/setup.sh --test (scripts/make-test-assets.sh) under $EDGEFACTOR_HOME
/// (./var by default). A missing file fails the test with the command that makes it.
enum TestAssets {
    static var home: String { VisionHome.directory(home: ProcessInfo.processInfo.environment["EDGEFACTOR_HOME"]) }

    static func path(_ relative: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let path = home + "/" + relative
        try #require(FileManager.default.fileExists(atPath: path),
                     "\(path) is missing: run scripts/setup.sh --test", sourceLocation: sourceLocation)
        return path
    }

    static func data(_ relative: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path(relative, sourceLocation: sourceLocation)))
    }

    static func floats(_ relative: String) throws -> [Float] {
        let data = try data(relative)
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    /// A fresh temporary directory, removed by the caller with `cleanup`.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("edgefactor-vision-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

}

extension RGBImage {
    /// A small image with a smooth gradient and some detail, for codec and resize tests.
    static func testPattern(width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                pixels[i] = UInt8(x * 255 / max(width - 1, 1))
                pixels[i + 1] = UInt8(y * 255 / max(height - 1, 1))
                pixels[i + 2] = UInt8(((x / 8 + y / 8) % 2) * 200 + 20)
            }
        }
        return RGBImage(width: width, height: height, unsafePixels: pixels)
    }

    init(width: Int, height: Int, unsafePixels: [UInt8]) {
        self.init(width: width, height: height) { buffer in
            for i in 0..<unsafePixels.count { buffer[i] = unsafePixels[i] }
        }
    }
}
