import Foundation
import Vision

/// Whether the demo's sample photos can ever pass a sign-in for a class: the demo camera shows
/// them, so a class that none of them shows at the threshold makes every sign-in fail.
enum DemoClassCheck {
    /// A warning when no photo in `photos` scores `classIndex` at `threshold` percent or more,
    /// naming the best photo and score; nil when one does (or there are no photos to judge).
    static func warning(classifier: ImageClassifier, classIndex: Int, className: String, threshold: Double, photos: URL) -> String? {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: photos.path)) ?? [])
            .filter { $0.lowercased().hasSuffix(".jpg") }.sorted()
        var best: (name: String, percent: Double)?
        for name in names {
            guard let image = try? ImageCodec.decode(contentsOf: photos.appendingPathComponent(name), options: classifier.decodingOptions),
                  let result = try? classifier.classifyWithDetails(image, topK: 1),
                  classIndex < result.probabilities.count
            else { continue }
            let percent = Double(result.probabilities[classIndex]) * 100
            if percent >= threshold { return nil }
            if best.map({ percent > $0.percent }) ?? true { best = (name, percent) }
        }
        guard let best else { return nil }
        return "no sample photo shows '\(className)' at the demo's \(threshold.formatted()) % (best: \(best.name), "
            + "\(String(format: "%.1f", best.percent)) %): on the sample photos every sign-in of the demo account will fail. "
            + "Pick a class one of them shows (espresso: the coffee photo), lower --threshold, "
            + "or use --camera with a camera that sees the object"
    }
}
