/// One classified frame from a ``ClassificationPipeline``.
public struct ClassifiedFrame: Sendable {
    /// 0-based position in the stream (skipped bad frames do not count).
    public var index: Int
    public var image: RGBImage
    public var result: ClassificationResult
    /// Time spent getting the frame (capture or read, and decode).
    public var capture: Duration
}

/// Classifies a stream of frames, preparing the next frame while the current one is in inference.
///
/// Fetching, decoding and pre-processing frame N+1 run in a child task while ONNX Runtime works on
/// frame N, so on a machine with a spare core the pipeline costs little more than inference
/// itself (docs/benchmarks.md, "Vision"). At most one frame is prepared ahead: no queue builds up
/// and a live camera stays live.
public struct ClassificationPipeline: Sendable {
    public let classifier: ImageClassifier
    public let topK: Int

    public init(classifier: ImageClassifier, topK: Int = 5) {
        self.classifier = classifier
        self.topK = topK
    }

    private struct Prepared: Sendable {
        var image: RGBImage
        var tensor: [Float]
        var capture: Duration
        var preprocess: Duration
    }

    /// Classified frames from `source` until it ends, `maximumFrames` is reached or the task is
    /// cancelled. Frames the source reports as bad are passed to `skipped` and left out.
    public func frames(from source: any FrameSource, maximumFrames: Int? = nil,
                       skipped: @escaping @Sendable (any Error) -> Void = { _ in }) -> AsyncThrowingStream<ClassifiedFrame, any Error> {
        let classifier = self.classifier, topK = self.topK
        return AsyncThrowingStream { continuation in
            let task = Task {
                @Sendable func prepare() async throws -> Prepared? {
                    let clock = ContinuousClock()
                    while true {
                        try Task.checkCancellation()
                        let t0 = clock.now
                        let image: RGBImage
                        do {
                            guard let next = try await source.nextFrame() else { return nil }
                            image = next
                        } catch let error as FrameSourceError {
                            guard case .badFrame = error else { throw error }
                            skipped(error)
                            continue
                        }
                        let t1 = clock.now
                        let tensor = try classifier.makeTensor(image)
                        return Prepared(image: image, tensor: tensor, capture: t1 - t0, preprocess: clock.now - t1)
                    }
                }
                do {
                    var index = 0
                    var pending = Task { try await prepare() }
                    while maximumFrames.map({ index < $0 }) ?? true, var prepared = try await pending.value {
                        if maximumFrames.map({ index + 1 < $0 }) ?? true {
                            pending = Task { try await prepare() }
                        }
                        var result = try classifier.classify(tensor: &prepared.tensor, topK: topK)
                        result.timings.preprocess = prepared.preprocess
                        continuation.yield(ClassifiedFrame(index: index, image: prepared.image, result: result, capture: prepared.capture))
                        index += 1
                    }
                    pending.cancel()
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
