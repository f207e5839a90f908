import ArgumentParser
import Foundation

/// The Python programs that measure the references (official SDKs, Python onnxruntime), kept in
/// scripts/ beside the project's other Python and found from this source file's place in the
/// checkout the benchmark runs from.
enum BenchmarkScripts {
    static func path(_ name: String, file: String = #filePath) throws -> String {
        var directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("scripts/\(name)")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate.path }
            directory = directory.deletingLastPathComponent()
        }
        throw ValidationError("scripts/\(name) not found above \(file): run the benchmark from a checkout")
    }
}
