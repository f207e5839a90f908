import ArgumentParser
import CLISettings
import Foundation
import Vision

/// Model and pre-processing options shared by commands that classify (`classify`; also usable
/// by the agent).
struct ClassifierOptions: ParsableArguments {
    @Option(help: "ONNX model: a file, or the name of one in $EDGEFACTOR_HOME/models such as efficientnet-lite0-int8 (default: the set-up's fp32 EfficientNet-Lite0).")
    var model: String?

    @Option(help: "Labels: one class per line (synset lines allowed) or a JSON index map.")
    var labels: String?

    @Option(help: "Inference threads (0: ONNX Runtime's default, one per core).")
    var threads = 0

    @Option(help: "Model input to feed (default: the only image input).")
    var inputBlob: String?

    @Option(help: "Model output to read (default: the first float output).")
    var outputBlob: String?

    @Option(help: "Model output holding the image embedding, for personal-object templates (default: from the model; the default model's is `features`).")
    var embeddingOutput: String?

    @Option(help: "Execution provider: cpu, cuda[:N], tensorrt[:N] (GPU ones need an ONNX Runtime build with them).")
    var provider = "cpu"

    @Option(help: "Graph optimisation: disabled, basic, extended, all.")
    var optimization = "all"

    @Option(help: "Frame geometry: crop (centre crop, see --crop-fraction) or stretch (whole frame). Default: from the model.")
    var resize: String?

    @Option(help: "Centre-crop fraction of the short side (TensorFlow/torchvision evaluation: 0.875).")
    var cropFraction: Double?

    @Option(help: "Resize filter: bilinear or bicubic.")
    var filter: String?

    @Option(help: "Per-channel mean on 0...1 values, R,G,B (e.g. 0.485,0.456,0.406).")
    var mean: String?

    @Option(help: "Per-channel standard deviation on 0...1 values, R,G,B (e.g. 0.229,0.224,0.225).")
    var std: String?

    @Option(help: "Instead of mean/std: value * scale + offset on 0...255 values.")
    var scale: Float?

    @Option(help: "Offset used with --scale.")
    var offset: Float?

    @Flag(help: "Feed channels in BGR order.")
    var bgr = false

    @Option(help: "Output activation: automatic, softmax or none.")
    var activation = "automatic"

    @Option(help: "Path of libonnxruntime.so (default: EDGEFACTOR_ORT_LIBRARY, $EDGEFACTOR_HOME/runtime, system).")
    var runtimeLibrary: String?

    /// `--runtime-library`, as a setting.
    var settingFlags: SettingFlags { [.runtimeLibrary: runtimeLibrary] }

    func validate() throws {
        guard threads >= 0 else { throw ValidationError("--threads must be 0 or more.") }
        guard ExecutionProvider(provider) != nil else { throw ValidationError("--provider must be cpu, cuda[:N] or tensorrt[:N].") }
        guard GraphOptimization(rawValue: optimization) != nil else { throw ValidationError("--optimization must be disabled, basic, extended or all.") }
        guard OutputActivation(rawValue: activation) != nil else { throw ValidationError("--activation must be automatic, softmax or none.") }
        if let resize, !["crop", "stretch"].contains(resize) { throw ValidationError("--resize must be crop or stretch.") }
        if let filter, ResizeFilter(rawValue: filter) == nil { throw ValidationError("--filter must be bilinear or bicubic.") }
        if let cropFraction, !(0.05...1).contains(cropFraction) { throw ValidationError("--crop-fraction must be in 0.05...1.") }
        for (name, value) in [("--mean", mean), ("--std", std)] {
            if let value, Self.triple(value) == nil { throw ValidationError("\(name) needs three numbers, R,G,B.") }
        }
        if let std, let values = Self.triple(std), values.contains(0) { throw ValidationError("--std values must not be 0.") }
        if (scale == nil) != (offset == nil) { throw ValidationError("--scale and --offset go together.") }
        if scale != nil, mean != nil || std != nil { throw ValidationError("use either --mean/--std or --scale/--offset.") }
    }

    static func triple(_ text: String) -> [Float]? {
        let values = text.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        return values.count == 3 ? values : nil
    }

    /// The classifier: models named by name are in the settings' home's `models`; the runtime is
    /// the settings' (the option, EDGEFACTOR_ORT_LIBRARY or the configuration file), else searched.
    func makeClassifier(_ settings: EdgeFactorSettings) throws -> ImageClassifier {
        var configuration: ClassifierConfiguration
        if let model, ModelDirectory.isModelName(model) {
            configuration = try ModelDirectory.standard(home: settings.home).configuration(for: model)
            if let labels { configuration.labelsPath = labels }
        } else if let model {
            configuration = ClassifierConfiguration(modelPath: model, labelsPath: labels)
        } else {
            configuration = try ClassifierConfiguration.defaultModel(home: settings.home)
            if let labels { configuration.labelsPath = labels }
        }
        configuration.inputName = inputBlob
        configuration.outputName = outputBlob
        configuration.embeddingOutputName = embeddingOutput
        configuration.outputActivation = OutputActivation(rawValue: activation) ?? .automatic
        configuration.session = SessionOptions(threads: threads, optimization: GraphOptimization(rawValue: optimization) ?? .all,
                                               provider: ExecutionProvider(provider) ?? .cpu)
        configuration.runtimeLibrary = settings.runtimeLibrary
        let classifier = try ImageClassifier(configuration: configuration)
        var preprocessing = classifier.preprocessing
        var changed = false
        if let resize {
            preprocessing.geometry = resize == "stretch" ? .stretch : .centerCrop(fraction: cropFraction ?? 0.875)
            changed = true
        } else if let cropFraction {
            preprocessing.geometry = .centerCrop(fraction: cropFraction)
            changed = true
        }
        if let filter = filter.flatMap(ResizeFilter.init(rawValue:)) {
            preprocessing.filter = filter
            changed = true
        }
        if mean != nil || std != nil {
            preprocessing.normalization = .meanStd(mean: mean.flatMap(Self.triple) ?? [0, 0, 0], std: std.flatMap(Self.triple) ?? [1, 1, 1])
            changed = true
        }
        if let scale, let offset {
            preprocessing.normalization = .scaleOffset(scale: scale, offset: offset)
            changed = true
        }
        if bgr {
            preprocessing.channelOrder = .bgr
            changed = true
        }
        return changed ? classifier.with(preprocessing: preprocessing) : classifier
    }
}

/// Frame source options shared by commands that read frames.
struct SourceOptions: ParsableArguments {
    @Flag(help: "Start again at the first frame after the last (images, folders, videos).")
    var loop = false

    @Option(help: "Requested frame width (camera, synthetic; videos are scaled).")
    var width: Int?

    @Option(help: "Requested frame height.")
    var height: Int?

    @Option(help: "Requested frame rate (camera; synthetic and video are paced/resampled).")
    var frameRate: Double?

    @Option(help: "Camera pixel format: mjpeg or yuyv (default: MJPEG when offered).")
    var cameraFormat: String?

    @Option(help: "ffmpeg executable for videos and streams.")
    var ffmpeg = "ffmpeg"

    var frameSourceOptions: FrameSourceOptions {
        FrameSourceOptions(loop: loop, width: width, height: height, frameRate: frameRate,
                           cameraFormat: cameraFormat.flatMap(CameraPixelFormat.init(rawValue:)), ffmpegPath: ffmpeg)
    }
}
