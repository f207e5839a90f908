import Vision

/// What matching a template adds to each camera frame: classification alone (one output) against
/// classification with the embedding read from the same inference and compared with a template,
/// interleaved in the same run so machine noise hits both alike.
struct ObjectCost {
    var classifyMilliseconds: Double
    var classifyAndMatchMilliseconds: Double
    /// Comparing one embedding with the template's views alone.
    var similarityMicroseconds: Double
    var views: Int
    var frames: Int

    var ratio: Double { classifyAndMatchMilliseconds / max(classifyMilliseconds, 1e-9) }

    static func measure(_ classifier: ImageClassifier, frames: [RGBImage], count: Int, template: ObjectTemplate?) throws -> ObjectCost {
        guard let template, !frames.isEmpty else { return ObjectCost(classifyMilliseconds: 0, classifyAndMatchMilliseconds: 0, similarityMicroseconds: 0, views: 0, frames: 0) }
        let clock = ContinuousClock()
        var classify = Duration.zero, match = Duration.zero
        var sink = 0.0
        for i in 0..<max(10, count) {
            let frame = frames[i % frames.count]
            let t0 = clock.now
            sink += Double(try classifier.classifyWithDetails(frame, topK: 1).probabilities[0])
            let t1 = clock.now
            if let embedding = try classifier.analyze(frame, topK: 1).embedding { sink += template.similarity(embedding) }
            let t2 = clock.now
            classify += t1 - t0
            match += t2 - t1
        }
        let probe = try classifier.embed(frames[0])
        let reps = 20_000
        let t0 = clock.now
        for _ in 0..<reps { sink += template.similarity(probe) }
        let similarity = clock.now - t0
        if sink.isNaN { print("") }  // keeps the work from being optimised away
        let n = Double(max(10, count))
        return ObjectCost(
            classifyMilliseconds: classify.milliseconds / n, classifyAndMatchMilliseconds: match.milliseconds / n,
            similarityMicroseconds: similarity.milliseconds * 1000 / Double(reps), views: template.views.count, frames: max(10, count))
    }
}

extension Duration {
    var milliseconds: Double { self / .milliseconds(1) }
}
