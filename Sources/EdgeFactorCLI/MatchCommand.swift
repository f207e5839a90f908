import ArgumentParser
import Foundation
import Vision

/// `edgefactor match`: scores frames against a personal-object template.
struct MatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Match images, a video or a camera against a personal-object template.",
        discussion: """
            Prints each frame's similarity to the template (its best view), then the decision: matched
            when at least --required-frames of the last --window frames reach --threshold.
            Exit status: 0 matched, 1 not matched, 2 or more on errors (a template of another model,
            an unreadable or altered template, a source without frames).
            """
    )

    @Argument(help: "Image, folder, glob, video, rtsp://... or v4l2:///dev/videoN.")
    var input: String

    @Option(help: "The template written by `edgefactor enrol`.")
    var template: String

    @Option(help: "Similarity (0-1) a frame needs to count as matching.")
    var threshold = MatchPolicy.standard.threshold

    @Option(help: "Matching frames needed within the window.")
    var requiredFrames = MatchPolicy.standard.requiredFrames

    @Option(help: "How many recent frames the decision looks at.")
    var window = MatchPolicy.standard.window

    @Option(help: "Stop after this many frames.")
    var frames = 600

    @Flag(help: "Keep reading after the decision (to see every frame's similarity).")
    var all = false

    @OptionGroup var model: ClassifierOptions
    @OptionGroup var source: SourceOptions
    @OptionGroup var config: ConfigOption

    @Flag(help: "Print only the decision.")
    var quiet = false

    func validate() throws {
        guard (0...1).contains(threshold) else { throw ValidationError("--threshold must be 0...1.") }
        guard requiredFrames >= 1, window >= requiredFrames else { throw ValidationError("--window must be at least --required-frames, which must be at least 1.") }
        guard frames >= 1 else { throw ValidationError("--frames must be at least 1.") }
        try model.validate()
    }

    func run() async throws {
        do {
            try await match()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            // Errors exit 2, so that 1 always means "not matched".
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }

    private func match() async throws {
        let settings = try await config.settings(model.settingFlags)
        let template = try ObjectTemplate(contentsOf: URL(fileURLWithPath: self.template))
        let classifier = try model.makeClassifier(settings)
        try template.checkCompatible(with: classifier.identity)
        var tracker = MatchTracker(policy: MatchPolicy(threshold: threshold, requiredFrames: requiredFrames, window: window))
        var options = source.frameSourceOptions
        options.decoding = classifier.decodingOptions
        let frameSource = try FrameSources.open(input, options: options)
        var index = 0
        do {
            while index < frames, all || !tracker.isMatched, let frame = try await frameSource.nextFrame() {
                let embedding = try classifier.embed(frame)
                let similarity = template.similarity(embedding)
                let scene = template.emptySceneSimilarity(embedding)
                let counted = tracker.isMatch(similarity: similarity, emptyScene: scene)
                tracker.record(similarity: similarity, emptyScene: scene)
                if !quiet { print("frame \(index): similarity \(String(format: "%.3f", similarity))\(counted ? " (match)" : "")") }
                index += 1
            }
        } catch {
            await frameSource.close()
            throw error
        }
        await frameSource.close()
        guard index > 0 else { throw ValidationError("no frames could be read from \(input)") }
        if let deciding = tracker.decidingSimilarity {
            print("matched \"\(template.name)\": \(requiredFrames) of \(window) frames at or above \(threshold) (lowest \(String(format: "%.3f", deciding)), best \(String(format: "%.3f", tracker.bestSimilarity)))")
        } else {
            print("not matched \"\(template.name)\": best similarity \(String(format: "%.3f", tracker.bestSimilarity)) over \(tracker.framesSeen) frames (threshold \(threshold))")
            throw ExitCode(1)
        }
    }
}
