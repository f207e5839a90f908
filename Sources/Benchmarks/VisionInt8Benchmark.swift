import ArgumentParser
import Foundation
import Vision

/// The int8 row of `edgefactor-bench vision`: set-up's static int8 EfficientNet-Lite0 against the
/// fp32 original, side by side in one run (rounds interleaved fp32, int8, fp32, int8, ... so machine
/// noise hits both alike), and how often the two agree on every real photo and video frame.
enum VisionInt8Benchmark {
    /// One thread count's figures (ms per frame, medians of the rounds).
    struct Row {
        var threads: Int
        var fp32Bare: Double, int8Bare: Double
        var fp32Pipeline: Double, int8Pipeline: Double
    }

    /// The frames the agreement covers: the sample photos and every personal-object frame.
    static func framePaths(home: String) -> [String] {
        var paths: [String] = []
        for folder in ["photos", "objects/box", "objects/cup", "objects/others"] {
            let directory = home + "/" + folder
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            paths += names.filter { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") }.sorted().map { directory + "/" + $0 }
        }
        return paths
    }

    static func classifier(_ path: String, threads: Int) throws -> ImageClassifier {
        var configuration = try ClassifierConfiguration.defaultModel()
        configuration.modelPath = path
        configuration.session.threads = threads
        return try ImageClassifier(configuration: configuration)
    }

    /// The subsection's text and the issue's int8 rows.
    struct Outcome {
        var markdown: String
        var targets: [BenchTarget]
    }

    /// Measures both models at 1 and 2 threads, then the agreement; nil when set-up made no int8 model.
    static func run(home: String, jpeg: Data, frames: Int, rounds: Int) async throws -> Outcome? {
        let directory = ModelDirectory.standard()
        let fp32Path = try directory.files(for: ModelDirectory.efficientNetLite0).model
        guard let int8Path = try? directory.files(for: ModelDirectory.efficientNetLite0Int8).model else {
            print("no \(ModelDirectory.efficientNetLite0Int8).onnx: run scripts/make-int8-model.sh for the int8 row")
            return nil
        }
        var rows: [Row] = []
        for threads in [1, 2] {
            let fp32 = try classifier(fp32Path, threads: threads), int8 = try classifier(int8Path, threads: threads)
            let tensor = try fp32.makeTensor(ImageCodec.decode(jpeg, options: fp32.decodingOptions))
            print("int8 vs fp32, \(threads) thread(s): warming up")
            for model in [fp32, int8] {
                _ = try VisionMeasure.swiftBare(model, tensor: tensor, frames: 10)
            }
            var bare: ([Double], [Double]) = ([], []), pipeline: ([Double], [Double]) = ([], [])
            for round in 0..<rounds {
                bare.0.append(try VisionMeasure.swiftBare(fp32, tensor: tensor, frames: frames))
                bare.1.append(try VisionMeasure.swiftBare(int8, tensor: tensor, frames: frames))
                pipeline.0.append(try await VisionMeasure.swiftPipeline(fp32, jpeg: jpeg, frames: frames).total)
                pipeline.1.append(try await VisionMeasure.swiftPipeline(int8, jpeg: jpeg, frames: frames).total)
                print(String(format: "  round %d: bare fp32 %.2f / int8 %.2f ms, pipeline fp32 %.2f / int8 %.2f ms",
                             round + 1, bare.0[round], bare.1[round], pipeline.0[round], pipeline.1[round]))
            }
            rows.append(Row(threads: threads, fp32Bare: bare.0.median, int8Bare: bare.1.median,
                            fp32Pipeline: pipeline.0.median, int8Pipeline: pipeline.1.median))
        }
        let paths = framePaths(home: home)
        print("agreement on \(paths.count) frames")
        let fp32 = try classifier(fp32Path, threads: 2), int8 = try classifier(int8Path, threads: 2)
        var agreement = ModelAgreement(), decisive = ModelAgreement(), nearTies = 0
        // The floor: the fp32 model against itself on the same frames with input noise of half a
        // grey level and of one (what two JPEG decoders' rounding already differ by).
        var noise = GreyNoise(seed: 16)
        var floors = [(amplitude: 0.5, agreement: ModelAgreement()), (amplitude: 1.0, agreement: ModelAgreement())]
        for path in paths {
            let image = try ImageCodec.decode(contentsOf: URL(fileURLWithPath: path), options: fp32.decodingOptions)
            let tensor = try fp32.makeTensor(image)
            var one = ModelAgreement()
            let reference = try one.compare(fp32, int8, tensor: tensor)
            agreement.add(one)
            if ModelAgreement.margin(of: reference) >= decisiveMargin { decisive.add(one) }
            if ModelAgreement.margin(of: reference) < 0.05 { nearTies += 1 }
            for i in floors.indices {
                try floors[i].agreement.compare(fp32, fp32, reference: tensor, candidate: noise.perturb(tensor, greyLevels: floors[i].amplitude))
            }
        }
        print("agreement: \(agreement)")
        for floor in floors { print("fp32 with ±\(floor.amplitude) grey level of noise: \(floor.agreement)") }
        return Outcome(
            markdown: markdown(rows, agreement: agreement, decisive: decisive, nearTies: nearTies, floors: floors, int8: int8, frames: frames, rounds: rounds),
            targets: targets(rows, agreement: agreement, decisive: decisive, floors: floors))
    }

    static func targets(_ rows: [Row], agreement: ModelAgreement, decisive: ModelAgreement,
                        floors: [(amplitude: Double, agreement: ModelAgreement)]) -> [BenchTarget] {
        func pct(_ v: Double) -> String { String(format: "%.2f %%", v * 100) }
        let speed = rows.map { $0.fp32Bare / $0.int8Bare }
        let threads = rows.map { "\($0.threads)" }.joined(separator: " and ")
        var result = [BenchTarget(
            measurement: "Classifier frames/s, int8 vs fp32 default model, inference (Vision)",
            measured: speed.map(BenchTarget.ratio).joined(separator: " / ") + " at \(threads) threads",
            target: "≥ 1.8×",
            verdict: (speed.min() ?? 0) >= 1.8 ? "met" : "not met")]
        result.append(BenchTarget(
            measurement: "int8 top-5 agreement with fp32, every real frame (Vision)",
            measured: "\(pct(agreement.top5)) of \(agreement.frames)", target: "≥ 99 %",
            verdict: agreement.top5 >= 0.99 ? "met" : "not met"))
        let halfGrey = floors.first.map { pct($0.agreement.top1) } ?? "?"
        result.append(BenchTarget(
            measurement: "int8 top-1 agreement with fp32, every real frame (Vision)",
            measured: "\(pct(agreement.top1)) of \(agreement.frames)", target: "≥ 97 %",
            verdict: agreement.top1 >= 0.97 ? "met" : "not reachable on these frames: fp32 itself keeps its best class on \(halfGrey) with ±0.5 grey level of input noise; on the \(decisive.frames) decisive frames int8 agrees on \(pct(decisive.top1)); fp32 stays the default"))
        return result
    }

    /// Frames whose fp32 best class leads the second by at least this much probability.
    static let decisiveMargin = 0.1

    static func markdown(_ rows: [Row], agreement: ModelAgreement, decisive: ModelAgreement, nearTies: Int,
                         floors: [(amplitude: Double, agreement: ModelAgreement)],
                         int8: ImageClassifier, frames: Int, rounds: Int) -> String {
        func f(_ v: Double) -> String { String(format: "%.2f", v) }
        func fps(_ ms: Double) -> String { String(format: "%.1f", 1000 / ms) }
        func ratio(_ fp32: Double, _ int8: Double) -> String { String(format: "%.2f×", fp32 / int8) }
        func pct(_ v: Double) -> String { String(format: "%.2f %%", v * 100) }
        var lines = [
            "### int8 vs fp32 (EfficientNet-Lite0)",
            "",
            "`\(int8.identity.fileName)` is set-up's static int8 quantization of the default model (`scripts/make-int8-model.sh`: ONNX Runtime's `quantize_static`, QDQ, unsigned 8-bit activations, signed 8-bit per-channel weights, MinMax ranges from every 8th real frame). Frames/s of the same frame through both models, \(frames) frames per measurement, median of \(rounds) rounds interleaved fp32, int8; target ≥ 1.8×.",
            "",
            "| Threads | fp32 bare run | int8 bare run | int8 / fp32 | fp32 whole pipeline | int8 whole pipeline | int8 / fp32 |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows {
            lines.append("| \(r.threads) | \(f(r.fp32Bare)) ms (\(fps(r.fp32Bare)) FPS) | \(f(r.int8Bare)) ms (\(fps(r.int8Bare)) FPS) | \(ratio(r.fp32Bare, r.int8Bare)) | \(f(r.fp32Pipeline)) ms (\(fps(r.fp32Pipeline)) FPS) | \(f(r.int8Pipeline)) ms (\(fps(r.int8Pipeline)) FPS) | \(ratio(r.fp32Pipeline, r.int8Pipeline)) |")
        }
        lines += [
            "",
            "Agreement with the fp32 model on every real photo and video frame the project has (set-up's `var/photos` and `var/objects`: \(agreement.frames) frames, the same tensor into both models; `Tests/Python/test_int8_agreement.py` checks these on every frame, `Tests/VisionTests` through the Swift classifier on the photos):",
            "",
            "| Measurement | int8 | Target |",
            "|---|---:|---:|",
            "| Top-1 agreement (same best class) | \(pct(agreement.top1)) (\(agreement.top1Matches) of \(agreement.frames)) | ≥ 97 % |",
            "| Top-5 agreement (fp32's best class among int8's five best) | \(pct(agreement.top5)) (\(agreement.top5Matches) of \(agreement.frames)) | ≥ 99 % |",
            "| Embedding (`features`) cosine similarity to fp32's, mean / lowest | \(String(format: "%.4f / %.4f", agreement.meanEmbeddingSimilarity ?? .nan, agreement.lowestEmbeddingSimilarity)) | – |",
        ]
        lines.append("| Top-1 agreement on the \(decisive.frames) decisive frames (fp32's best class ahead of its second by ≥ \(Int(decisiveMargin * 100)) points) | \(pct(decisive.top1)) (\(decisive.top1Matches) of \(decisive.frames)) | ≥ 97 % |")
        for floor in floors {
            lines.append("| Floor: fp32 against itself with ±\(floor.amplitude) grey level of uniform input noise, top-1 / top-5 | \(pct(floor.agreement.top1)) / \(pct(floor.agreement.top5)) | – |")
        }
        let inference = rows.map { $0.fp32Bare / $0.int8Bare }, pipeline = rows.map { $0.fp32Pipeline / $0.int8Pipeline }
        let fast = (inference.min() ?? 0) >= 1.8, agrees = agreement.top1 >= 0.97 && agreement.top5 >= 0.99
        let fixed = rows.first.map { $0.fp32Pipeline - $0.fp32Bare } ?? 0
        // At 1 thread: the int8 inference time that would give the whole pipeline 1.8×.
        let needed = rows.first.map { $0.fp32Pipeline / 1.8 - ($0.int8Pipeline - $0.int8Bare) } ?? 0
        let halfGrey = floors.first.map { pct($0.agreement.top1) } ?? "?"
        func list(_ values: [Double]) -> String { values.map { String(format: "%.2f×", $0) }.joined(separator: " and ") }
        lines += [
            "",
            "Reading: int8 inference (the bare run, what quantization changes) is \(list(inference)) fp32 at 1 and 2 threads (target ≥ 1.8×: \(fast ? "met" : "not met")); the whole pipeline \(list(pipeline)), because decoding and pre-processing (\(f(fixed)) ms per frame at 1 thread) are the same work for both models, so at 1 thread int8 inference would have to take \(f(needed)) ms instead of \(f(rows.first?.int8Bare ?? 0)) for the whole pipeline to reach 1.8× (the pipelined form, `ClassificationPipeline`, hides those stages behind inference where a core is free). This CPU has AVX-512 VNNI, whose int8 dot-product instructions ONNX Runtime's QDQ kernels use; without VNNI (older x86, ARM boards without the dot-product extension) expect less. QDQ was faster here than the QOperator format (2.27× against 1.94× fp32, one thread, in a side-by-side Python run while choosing), and keeping the stem convolution in float costs little (its input would otherwise be rounded to 8 bits again). The top-5 target is \(agreement.top5 >= 0.99 ? "met" : "not met"). The top-1 target \(agreement.top1 >= 0.97 ? "is met" : "is not met, and on these frames cannot be"): \(nearTies) of the \(agreement.frames) frames are near ties (fp32's two best classes within 5 points: a hand holding a cup or a box is many ImageNet classes at once), and the fp32 model itself keeps its best class on only \(halfGrey) of them when half a grey level of noise is added to its input, less than two JPEG decoders differ by. Where fp32's answer is decisive, int8 gives the same best class on \(pct(decisive.top1)). \(agrees && fast ? "int8 could be the agent's default." : "So the fp32 model stays the agent's default (the issue's rule: int8 only if the agreement holds), and int8 is there to choose: `--model efficientnet-lite0-int8` or the twin's `model`.") The embedding changes a little (cosine above); personal-object templates record the model's SHA-256, so a template enrolled with one model is refused by the other, and the verification threshold (0.72) was chosen on fp32 embeddings: re-run `edgefactor-bench objects` with int8 before relying on it.",
            "",
            "How the quantization was chosen (Python onnxruntime on the same 969 frames, reference pre-processing, measured while choosing; top-1 / top-5 agreement): everything quantized, MinMax, per-channel: 75.9 % / 99.4 %; the same with the final fully connected layer in float: 76.4 % / 99.2 %; only the convolutions quantized: 37.4 % / 85.2 % (every residual add then dequantizes and requantizes); the stem convolution in float: 79.1 % / 99.5 % (chosen; QOperator format the same agreement, slower); stem and fully connected layer in float: 78.3 % / 99.5 %. What would reach the top-1 target on frames like these is not a better int8 model but frames that are not near ties (the decisive-frame line), or keeping the network in float.",
        ]
        return lines.joined(separator: "\n")
    }
}

/// Deterministic uniform input noise (a SplitMix64 generator) for the int8 row's floor.
struct GreyNoise {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `tensor` plus uniform noise of ±`greyLevels` (EfficientNet-Lite's input: one grey level is 1/128).
    mutating func perturb(_ tensor: [Float], greyLevels: Double) -> [Float] {
        tensor.map { value in
            let unit = Double(next() >> 11) / Double(1 << 53)  // 0..<1
            return value + Float((unit * 2 - 1) * greyLevels / 128)
        }
    }
}
