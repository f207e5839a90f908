import ArgumentParser
import Foundation
import Vision

/// `edgefactor-bench vision`: whole-pipeline frames/s against Python onnxruntime's bare session.run.
///
/// For each model and thread count, in the same run and interleaved (Python, Swift, Python, Swift,
/// ...) so machine noise hits both alike:
/// - baseline: Python onnxruntime `session.run` on a ready tensor (no decode, no pre-processing);
/// - Swift bare: the same call through EdgeFactor's dlopen'd C API on a ready tensor;
/// - Swift pipeline: JPEG bytes -> decode -> pre-process -> infer -> softmax + top-5, one frame
///   after another (what `edgefactor classify` and the agent do);
/// - Swift pipelined: the same stages through `ClassificationPipeline`, which decodes and
///   pre-processes the next frame while the current one is in inference (what `classify` uses).
///
/// Then set-up's int8 EfficientNet-Lite0 against the fp32 one (``VisionInt8Benchmark``).
struct VisionBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vision", abstract: "Whole-pipeline frames/s against Python onnxruntime's bare session.run.")

    @Option(help: "Frames per measurement.")
    var frames = 100

    @Option(help: "Interleaved rounds per configuration (the median round is reported).")
    var rounds = 3

    @Option(help: "Photo to decode each frame (JPEG).")
    var photo: String?

    @Option(help: "Markdown file whose \"## Vision\" section receives the table.")
    var output = "docs/benchmarks.md"

    @Flag(help: "Print the table without writing the file.")
    var dryRun = false

    func run() async throws {
        let measured = try await measure()
        print(measured.body)
        if !dryRun {
            try BenchmarkDocument.replaceSection(measured.title, in: output, with: measured.body)
            print("wrote the Vision section of \(output)")
        }
    }

    func measure() async throws -> BenchSection {
        let home = VisionHome.directory()
        let photoPath = photo ?? home + "/photos/coffee.jpg"
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: photoPath))
        let pythonPath = FileManager.default.currentDirectoryPath + "/.venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: pythonPath) else {
            throw ValidationError("\(pythonPath) not found: run scripts/setup.sh --test first (it also makes the models)")
        }
        let models: [(name: String, configuration: ClassifierConfiguration)] = [
            ("EfficientNet-Lite0 (default)", try ClassifierConfiguration.defaultModel()),
            ("ResNet-18 (1000 classes, random weights)", ClassifierConfiguration(
                modelPath: home + "/models/test/resnet18-1000.onnx", preprocessing: .jetson)),
        ]
        let loadBefore = VisionRow.loadAverage()
        var rows: [VisionRow] = []
        for (name, base) in models {
            for threads in [1, 2] {
                var configuration = base
                configuration.session.threads = threads
                let classifier = try ImageClassifier(configuration: configuration)
                let tensor = try classifier.makeTensor(ImageCodec.decode(jpeg, options: classifier.decodingOptions))
                let tensorFile = FileManager.default.temporaryDirectory.appendingPathComponent("edgefactor-bench-\(UUID().uuidString).f32")
                try tensor.withUnsafeBytes { try Data($0).write(to: tensorFile) }
                defer { try? FileManager.default.removeItem(at: tensorFile) }
                print("\(name), \(threads) thread(s): warming up")
                _ = try VisionMeasure.swiftBare(classifier, tensor: tensor, frames: 10)
                _ = try await VisionMeasure.swiftPipeline(classifier, jpeg: jpeg, frames: 10)
                var python: [Double] = [], bare: [Double] = [], sequential: [VisionMeasure.Stages] = [], pipelined: [Double] = []
                for round in 0..<rounds {
                    python.append(try VisionMeasure.python(python: pythonPath, model: configuration.modelPath, tensor: tensorFile.path,
                                                           threads: threads, frames: frames))
                    bare.append(try VisionMeasure.swiftBare(classifier, tensor: tensor, frames: frames))
                    sequential.append(try await VisionMeasure.swiftPipeline(classifier, jpeg: jpeg, frames: frames))
                    pipelined.append(try await VisionMeasure.swiftPipelined(classifier, jpeg: jpeg, frames: frames))
                    print("  round \(round + 1): python \(f(python.last)) ms, swift bare \(f(bare.last)) ms, pipeline \(f(sequential.last?.total)) ms, pipelined \(f(pipelined.last)) ms")
                }
                let median = sequential.sorted { $0.total < $1.total }[sequential.count / 2]
                rows.append(VisionRow(model: name, threads: threads, python: python.median, swiftBare: bare.median,
                                      pipeline: median, pipelined: pipelined.median))
            }
        }
        let int8Report = try await VisionInt8Benchmark.run(home: home, jpeg: jpeg, frames: frames, rounds: rounds)
        let decoded = try ImageCodec.decode(jpeg)
        var report = VisionRow.markdown(rows, photo: (photoPath as NSString).lastPathComponent, size: (decoded.width, decoded.height),
                                        frames: frames, rounds: rounds, runtime: try ImageClassifier(configuration: models[0].configuration).runtimeVersion,
                                        load: (loadBefore, VisionRow.loadAverage()))
        if let int8Report { report += "\n\n" + int8Report.markdown }
        return BenchSection(title: "Vision", body: report, targets: int8Report?.targets ?? [])
    }

    private func f(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "-" }
}

extension Array where Element == Double {
    var median: Double { isEmpty ? .nan : sorted()[count / 2] }
}

/// The measurements.
enum VisionMeasure {
    struct Stages {
        var decode = 0.0, preprocess = 0.0, inference = 0.0, postprocess = 0.0
        var total: Double { decode + preprocess + inference + postprocess }
    }

    static func ms(_ d: Duration) -> Double { d / .milliseconds(1) }

    /// Mean ms per `session.run` in Python onnxruntime, same model, tensor and thread count.
    static func python(python: String, model: String, tensor: String, threads: Int, frames: Int) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [try BenchmarkScripts.path("bench_onnxruntime.py"), model, tensor, String(threads), String(frames)]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let value = Double(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ValidationError("the Python baseline failed (exit \(process.terminationStatus))")
        }
        return value
    }

    /// Mean ms per inference through EdgeFactor's ONNX Runtime binding on a ready tensor.
    static func swiftBare(_ classifier: ImageClassifier, tensor: [Float], frames: Int) throws -> Double {
        var input = tensor
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<frames { _ = try classifier.infer(&input) }
        return ms(clock.now - start) / Double(frames)
    }

    /// Mean ms per frame of the sequential pipeline, by stage.
    static func swiftPipeline(_ classifier: ImageClassifier, jpeg: Data, frames: Int) async throws -> Stages {
        let clock = ContinuousClock()
        var stages = Stages()
        let options = classifier.decodingOptions
        for _ in 0..<frames {
            let t0 = clock.now
            let image = try ImageCodec.decode(jpeg, options: options)
            let t1 = clock.now
            let result = try classifier.classifyWithDetails(image, topK: 5)
            stages.decode += ms(t1 - t0)
            stages.preprocess += ms(result.timings.preprocess)
            stages.inference += ms(result.timings.inference)
            stages.postprocess += ms(result.timings.postprocess)
        }
        let n = Double(frames)
        return Stages(decode: stages.decode / n, preprocess: stages.preprocess / n, inference: stages.inference / n, postprocess: stages.postprocess / n)
    }

    /// Mean ms per frame through ``ClassificationPipeline`` (the next frame's decode and
    /// pre-process overlap this frame's inference), as `edgefactor classify` runs.
    static func swiftPipelined(_ classifier: ImageClassifier, jpeg: Data, frames: Int) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let source = MemoryJPEGSource(jpeg: jpeg, frames: frames, options: classifier.decodingOptions)
        var count = 0
        try await ClassificationPipeline(classifier: classifier, topK: 5).forEachFrame(from: source) { _ in count += 1 }
        guard count == frames else { throw ValidationError("pipeline delivered \(count) of \(frames) frames") }
        return ms(clock.now - start) / Double(frames)
    }
}

/// The same JPEG, decoded afresh for each of `frames` frames (a camera without the camera).
actor MemoryJPEGSource: FrameSource {
    let jpeg: Data
    let frames: Int
    let options: ImageDecodingOptions
    private var delivered = 0

    init(jpeg: Data, frames: Int, options: ImageDecodingOptions) {
        self.jpeg = jpeg
        self.frames = frames
        self.options = options
    }

    func nextFrame() async throws -> RGBImage? {
        guard delivered < frames else { return nil }
        delivered += 1
        return try ImageCodec.decode(jpeg, options: options)
    }
}

/// One table row and the report around it.
struct VisionRow {
    var model: String
    var threads: Int
    var python: Double
    var swiftBare: Double
    var pipeline: VisionMeasure.Stages
    var pipelined: Double

    /// The 1-minute load average (Linux), to show how busy the shared machine was.
    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
    }

    static func markdown(_ rows: [VisionRow], photo: String, size: (Int, Int), frames: Int, rounds: Int, runtime: String, load: (String, String)) -> String {
        func f(_ v: Double) -> String { String(format: "%.2f", v) }
        func pct(_ v: Double, _ base: Double) -> String { String(format: "%+.0f%%", (v / base - 1) * 100) }
        var lines = [
            "Command: `swift build -c release --product edgefactor-bench && .build/release/edgefactor-bench vision` (after `scripts/setup.sh --test`).",
            "",
            "Per frame, mean of \(frames) frames, median of \(rounds) interleaved rounds; ONNX Runtime \(runtime) (the same library for Python and Swift); input \(photo) (\(size.0)x\(size.1) JPEG) decoded from memory each frame. Baseline: Python onnxruntime's bare `session.run` on a ready tensor, same model and thread count, measured in the same run.",
            "",
            "| Model | Threads | Python `session.run` (baseline) | Swift bare run | Swift whole pipeline | vs baseline | Swift pipelined | vs baseline |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows {
            lines.append("| \(r.model) | \(r.threads) | \(f(r.python)) ms (\(f(1000 / r.python)) FPS) | \(f(r.swiftBare)) ms | \(f(r.pipeline.total)) ms (\(f(1000 / r.pipeline.total)) FPS) | \(pct(r.pipeline.total, r.python)) | \(f(r.pipelined)) ms (\(f(1000 / r.pipelined)) FPS) | \(pct(r.pipelined, r.python)) |")
        }
        lines += [
            "",
            "Where the time goes in the whole pipeline (ms per frame):",
            "",
            "| Model | Threads | decode | pre-process | inference | post-process |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for r in rows {
            lines.append("| \(r.model) | \(r.threads) | \(f(r.pipeline.decode)) | \(f(r.pipeline.preprocess)) | \(f(r.pipeline.inference)) | \(f(r.pipeline.postprocess)) |")
        }
        lines += [
            "",
            "Machine load (1-minute average) at the start and end of the run: \(load.0) and \(load.1) on 2 cores. Other work on the machine competes with ONNX Runtime's threads, which is why 2 threads can be slower than 1 here; compare each row's columns with each other, not rows across runs.",
            "",
            "Reading: \"Swift bare run\" against the baseline is the cost of EdgeFactor's ONNX Runtime binding (the same library, called through its C API): none to speak of. \"Whole pipeline\" adds JPEG decoding and pre-processing (resize, crop, normalise) one frame after another; \"pipelined\" is `ClassificationPipeline`, which prepares the next frame while the current one is in inference, so those stages can hide behind inference when a core is idle (on this busy 2-core machine there rarely is one, and the difference is within the noise). Post-processing (softmax, top-5) is negligible.",
        ]
        return lines.joined(separator: "\n")
    }
}
