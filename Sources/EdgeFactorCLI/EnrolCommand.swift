import ArgumentParser
import Foundation
import PrivateFiles
import Verification
import Vision

/// `edgefactor enrol`: builds a personal-object template from the frames of any frame source.
struct EnrolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enrol",
        abstract: "Build a personal-object template from images, a video or a camera.",
        discussion: """
            Reads frames from INPUT (an image, a folder or glob, a video, rtsp://..., v4l2:///dev/videoN)
            and keeps those that are sharp and show the object from a new side, until --views views are
            kept. Refuses, saying what to do, an enrolment with too few distinct views, only blurred or
            dark frames, or frames like the empty scene (--empty-scene). The template file is written
            private (0600); it is tied to the model it was made with.
            """
    )

    @Argument(help: "Image, folder, glob, video, rtsp://... or v4l2:///dev/videoN.")
    var input: String

    @Option(help: "Where to write the template.")
    var template: String

    @Option(help: "The object's name, as the person calls it.")
    var name = "my object"

    @Option(help: "Frames of the scene without the object (a frame source); views like them are refused.")
    var emptyScene: String?

    @Option(help: "Views to keep (3-12).")
    var views = TemplateBuilder.Policy.standard.wantedViews

    @Option(help: "Stop after reading this many frames.")
    var frames = 600

    @Option(help: "Least sharpness (variance of the Laplacian) of a kept view.")
    var minimumSharpness = TemplateBuilder.Policy.standard.minimumSharpness

    @Option(help: "A view at least this similar to a kept one is a repeat (0-1).")
    var maximumViewSimilarity = TemplateBuilder.Policy.standard.maximumViewSimilarity

    @OptionGroup var model: ClassifierOptions
    @OptionGroup var source: SourceOptions
    @OptionGroup var config: ConfigOption

    @Flag(help: "Print only the result.")
    var quiet = false

    func validate() throws {
        guard EnrolmentRequest.viewRange.contains(views) else { throw ValidationError("--views must be 3...12.") }
        guard frames >= 1 else { throw ValidationError("--frames must be at least 1.") }
        guard (0...1).contains(maximumViewSimilarity) else { throw ValidationError("--maximum-view-similarity must be 0...1.") }
        guard minimumSharpness >= 0 else { throw ValidationError("--minimum-sharpness must be 0 or more.") }
        try model.validate()
    }

    func run() async throws {
        let settings = try await config.settings(model.settingFlags)
        let classifier = try model.makeClassifier(settings)
        guard classifier.hasEmbedding else {
            throw ValidationError("model \(classifier.identity.fileName) has no embedding output: name one with --embedding-output")
        }
        var policy = TemplateBuilder.Policy.standard
        policy = TemplateBuilder.Policy(wantedViews: views, minimumViews: min(policy.minimumViews, views), minimumSharpness: minimumSharpness,
                                        maximumViewSimilarity: maximumViewSimilarity, maximumEmptySceneSimilarity: policy.maximumEmptySceneSimilarity)
        var builder = TemplateBuilder(policy: policy)
        var options = source.frameSourceOptions
        options.decoding = classifier.decodingOptions
        if let emptyScene {
            let scene = try FrameSources.open(emptyScene, options: options)
            var read = 0
            while read < 64, let frame = try await scene.nextFrame() {
                builder.addEmptyScene(try classifier.embed(frame))
                read += 1
            }
            await scene.close()
            guard read > 0 else { throw ValidationError("no frames could be read from the empty scene \(emptyScene)") }
        }
        let frameSource = try FrameSources.open(input, options: options)
        var index = 0
        do {
            while index < frames, !builder.isComplete, let frame = try await frameSource.nextFrame() {
                let decision = builder.offer(try classifier.embed(frame), sharpness: Sharpness.varianceOfLaplacian(frame))
                if !quiet { print("frame \(index): \(Self.describe(decision))") }
                index += 1
            }
        } catch {
            await frameSource.close()
            throw error
        }
        await frameSource.close()
        let template = try builder.build(id: RandomID.hex128(), name: name, model: classifier.identity)
        try PrivateFiles.write(template.encoded(), to: self.template)
        print("enrolled \"\(name)\": \(template.views.count) views from \(builder.framesSeen) frames (\(builder.blurryFrames) blurred, \(builder.repeatedFrames) repeated, \(builder.emptySceneFrames) empty scene); mean view similarity \(String(format: "%.3f", builder.meanViewSimilarity))")
        print("template \(template.id) written to \(self.template) (model \(classifier.identity))")
    }

    static func describe(_ decision: TemplateBuilder.Decision) -> String {
        switch decision {
        case .accepted(let view): "view \(view + 1) kept"
        case .blurry(let sharpness): "refused, blurred or dark (sharpness \(String(format: "%.1f", sharpness)))"
        case .repeated(let similarity): "refused, like a kept view (similarity \(String(format: "%.3f", similarity)))"
        case .emptyScene(let similarity): "refused, like the empty scene (similarity \(String(format: "%.3f", similarity)))"
        case .complete: "not needed"
        }
    }
}
