import ArgumentParser
import EdgeFactorSupport
import Foundation
import Vision

/// `edgefactor classify`: Classify images, videos or camera frames with an ONNX model.
struct ClassifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Classify images, videos or camera frames with an ONNX model.",
        discussion: """
            INPUT is an image, a folder or glob of images, a video file, rtsp://..., v4l2:///dev/videoN
            or synthetic://[WxH]. OUTPUT (optional) receives annotated frames: a .jpg path (use %d for
            one file per frame), a folder, or http://127.0.0.1:PORT for a live MJPEG preview.
            --model takes a file or the name of a model in $EDGEFACTOR_HOME/models (set-up makes
            efficientnet-lite0 and its int8 quantization efficientnet-lite0-int8); without it the
            default fp32 EfficientNet-Lite0 is used. Prints the model, the top-K classes per frame,
            then the model with the time per stage and the frame rate.
            """
    )

    @Argument(help: "Image, folder, glob, video, rtsp://..., v4l2:///dev/videoN or synthetic://.")
    var input: String

    @Argument(help: "Annotated output: file.jpg, frames-%d.jpg, a folder, or http://127.0.0.1:PORT (MJPEG preview).")
    var output: String?

    @OptionGroup var model: ClassifierOptions
    @OptionGroup var source: SourceOptions
    @OptionGroup var config: ConfigOption

    @Option(help: "Classes to print per frame.")
    var topk = 5

    @Option(help: "Stop after this many frames (default: the end of the input).")
    var frames: Int?

    @Option(help: "Print the timing line every N frames (0: only at the end).")
    var statsEvery = 30

    @Option(help: "JPEG quality of annotated output (1-100).")
    var quality = 90

    @Flag(help: "Print only the final summary.")
    var quiet = false

    func validate() throws {
        guard topk >= 1 else { throw ValidationError("--topk must be at least 1.") }
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be 1...100.") }
        if let frames, frames < 1 { throw ValidationError("--frames must be at least 1.") }
        guard statsEvery >= 0 else { throw ValidationError("--stats-every must be 0 or more.") }
        try model.validate()
    }

    func run() async throws {
        let settings = try await config.settings(model.settingFlags)
        let classifier = try model.makeClassifier(settings)
        let modelName = URL(fileURLWithPath: classifier.configuration.modelPath).deletingPathExtension().lastPathComponent
        if !quiet {
            print("model: \(modelName) (\(classifier.configuration.modelPath), sha256 \(classifier.identity.shortDigest)…; \(classifier.input) -> \(classifier.output), \(classifier.labels.count) classes)")
            print("pre-processing: \(classifier.preprocessing); ONNX Runtime \(classifier.runtimeVersion), \(model.threads == 0 ? "default" : String(model.threads)) threads, \(model.provider)")
        }
        var sourceOptions = source.frameSourceOptions
        sourceOptions.decoding = classifier.decodingOptions
        let frameSource = try FrameSources.open(input, options: sourceOptions)
        let sink = try await FrameSinks.open(output ?? "none", quality: quality)
        if let output, output.lowercased().hasPrefix("http") || output.lowercased().hasPrefix("mjpeg"), let server = sink as? any CustomStringConvertible {
            print("preview: \(server)")
        }
        var stats = PipelineStatistics()
        let clock = ContinuousClock()
        // Decoding and pre-processing of the next frame overlap inference of this one.
        let pipeline = ClassificationPipeline(classifier: classifier, topK: topk)
        var last = clock.now
        do {
            try await pipeline.forEachFrame(from: frameSource, maximumFrames: frames, skipped: { printError("skipped: \($0)") }) { frame in
                let t0 = clock.now
                if output != nil, let best = frame.result.top.first {
                    var annotated = frame.image
                    let scale = TextOverlay.automaticScale(for: annotated)
                    TextOverlay.draw(TextOverlay.caption(for: best), on: &annotated, at: (5 * scale, 5 * scale), scale: scale)
                    try await sink.write(annotated, index: frame.index)
                }
                let now = clock.now
                stats.add(capture: frame.capture, stages: frame.result.timings, output: now - t0, total: now - last)
                last = now
                if !quiet {
                    let line = frame.result.top.map { "\(Classification.percent($0.confidence)) \($0.label) (\($0.classIndex))" }.joined(separator: " | ")
                    print("frame \(frame.index) \(frame.image.width)x\(frame.image.height): \(line)")
                    if statsEvery > 0, (frame.index + 1) % statsEvery == 0 { print(stats.line) }
                }
            }
        } catch {
            await frameSource.close()
            await sink.close()
            throw error
        }
        await frameSource.close()
        await sink.close()
        guard stats.frames > 0 else {
            throw ValidationError("no frames could be read from \(input)")
        }
        print("model \(modelName): " + stats.summary)
    }
}

/// Running averages of the time per stage, printed like jetson-inference's profiler.
struct PipelineStatistics {
    private(set) var frames = 0
    private var capture = Duration.zero, preprocess = Duration.zero, inference = Duration.zero
    private var postprocess = Duration.zero, output = Duration.zero, total = Duration.zero
    // Stages overlap (the next frame is prepared during inference), so the wall time per frame
    // can be less than the sum of the stages.

    mutating func add(capture: Duration, stages: StageTimings, output: Duration, total: Duration) {
        frames += 1
        self.capture += capture
        preprocess += stages.preprocess
        inference += stages.inference
        postprocess += stages.postprocess
        self.output += output
        self.total += total
    }

    private func ms(_ d: Duration) -> String {
        String(format: "%.2f", d.inMilliseconds / Double(max(frames, 1)))
    }

    var fps: Double {
        let seconds = total.inSeconds
        return seconds > 0 ? Double(frames) / seconds : 0
    }

    var line: String {
        "timing (mean of \(frames) frames, ms): capture+decode \(ms(capture)) | pre-process \(ms(preprocess)) | inference \(ms(inference)) | post-process \(ms(postprocess)) | overlay+output \(ms(output)) | wall \(ms(total)) per frame | \(String(format: "%.1f", fps)) FPS"
    }

    var summary: String { "\(frames) frames. " + line }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
