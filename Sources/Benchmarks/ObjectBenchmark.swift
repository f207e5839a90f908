import ArgumentParser
import Foundation
import Verification
import Vision

/// `edgefactor-bench objects`: how well personal-object templates tell the enrolled object from
/// everything else (false accepts and false rejects over a range of thresholds, per frame and per
/// verification), and what matching costs per frame next to classification, in the same run.
///
/// Data (set-up's `var/objects`, from registry packages): two objects filmed while turned in the
/// hand (a black cup, a yellow box). Templates are enrolled, as the device enrols them, from
/// windows of the first 40 % of a video; genuine comparisons use the last 60 %, which no template
/// saw; impostors are every frame of the other object and every other photo and video frame.
struct ObjectBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "objects", abstract: "False-accept / false-reject rates of personal-object templates, and matching's cost per frame.")

    @Option(help: "Folder made by scripts/make-object-data.sh (default: $EDGEFACTOR_HOME/objects).")
    var data: String?

    @Option(help: "Templates enrolled per object, from different windows of its enrolment part.")
    var templatesPerObject = 24

    @Option(help: "Frames per cost measurement.")
    var costFrames = 200

    @Option(help: "Markdown file whose \"## Personal objects\" section receives the tables.")
    var output = "docs/benchmarks.md"

    @Option(help: "CSV of the per-verification DET curve (threshold,far,frr), for scripts/plot_det.py.")
    var curve = "docs/object-det.csv"

    @Flag(help: "Print the tables without writing the files.")
    var dryRun = false

    func run() async throws {
        let folder = URL(fileURLWithPath: data ?? VisionHome.directory() + "/objects", isDirectory: true)
        var configuration = try ClassifierConfiguration.defaultModel()
        configuration.session.threads = 1
        let classifier = try ImageClassifier(configuration: configuration)
        guard classifier.hasEmbedding else { throw ValidationError("the default model has no embedding output: run scripts/setup.sh again") }

        print("embedding the data set")
        let objects = try ["cup", "box"].map { name in (name, try embedFolder(folder.appendingPathComponent(name), classifier)) }
        let others = try embedFolder(folder.appendingPathComponent("others"), classifier)
        // The hardest impostors: another object held where the enrolled one was, in the same scene
        // (each photo pasted over the object in the video's first frame, shown five ways).
        print("making same-scene impostors")
        let photos = others.filter { $0.name.hasPrefix("photo-") }.map(\.image)
        var sameScene: [[Embedding]] = []
        for (name, frames) in objects {
            guard let scene = frames.first?.image, let rect = Self.objectRects[name] else { continue }
            sameScene += try photos.map { photo in try SameScene.views(of: photo, pastedInto: scene, at: rect).map { try classifier.embed($0) } }
        }
        var study = ObjectStudy(policy: .standard)
        for (index, (name, frames)) in objects.enumerated() {
            let impostorSets = objects.enumerated().filter { $0.offset != index }.map { $0.element.1.map(\.embedding) }
                + [others.map(\.embedding)] + sameScene
            try study.add(object: name, frames: frames, impostorSets: impostorSets, templates: templatesPerObject, model: classifier.identity)
        }
        print("measuring the cost per frame")
        let cost = try ObjectCost.measure(classifier, frames: objects[0].1.prefix(20).map(\.image), count: costFrames, template: study.sampleTemplate)
        let report = ObjectReport(study: study, cost: cost, data: folder.path, others: others.count, sameScene: sameScene.count)
        print(report.markdown)
        guard !dryRun else { return }
        try BenchmarkDocument.replaceSection("Personal objects", in: output, with: report.markdown)
        try report.curveCSV.write(toFile: curve, atomically: true, encoding: .utf8)
        let attempts = study.verificationRates(at: study.policy.threshold)
        print("wrote \(output) and \(curve); draw the curve with: .venv/bin/python scripts/plot_det.py docs/object-det.png \(curve) --point \(study.policy.threshold) --impostors \(attempts.impostorAttempts) --genuine \(attempts.genuineAttempts)")
    }

    /// Where the object is in each video's first frame (x0, y0, x1, y1).
    static let objectRects: [String: (Int, Int, Int, Int)] = ["cup": (285, 105, 435, 395), "box": (300, 10, 600, 250)]

    /// Every image of a folder, decoded and embedded once (sorted by name: video order).
    private func embedFolder(_ url: URL, _ classifier: ImageClassifier) throws -> [ObjectStudy.Frame] {
        let names = try FileManager.default.contentsOfDirectory(atPath: url.path)
            .filter { name in [".jpg", ".jpeg", ".png"].contains { name.lowercased().hasSuffix($0) } }
            .sorted { $0.localizedStandardCompare($1) == .orderedAscending }
        guard !names.isEmpty else { throw ValidationError("\(url.path) holds no images: run scripts/setup.sh --test") }
        return try names.map { name in
            let image = try ImageCodec.decode(contentsOf: url.appendingPathComponent(name), options: classifier.decodingOptions)
            return ObjectStudy.Frame(name: name, image: image, embedding: try classifier.embed(image), sharpness: Sharpness.varianceOfLaplacian(image))
        }
    }
}
