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

    /// Classifies frames from `source` and hands each to `body`, in order, until the source ends,
    /// `maximumFrames` is reached, `body` throws or the task is cancelled. Frames the source reports
    /// as bad are passed to `skipped` and left out. A source error other than a bad frame is thrown.
    ///
    /// Scoped rather than a stream: the frame being prepared ahead is a child task of this call, so
    /// nothing outlives it.
    public func forEachFrame(
        from source: any FrameSource, maximumFrames: Int? = nil,
        skipped: @escaping @Sendable (any Error) -> Void = { _ in },
        _ body: (ClassifiedFrame) async throws -> Void
    ) async throws {
        try await run(source, maximumFrames: maximumFrames, skipped: skipped) { frame in
            try await body(frame)
            return true
        }
    }

    /// The first classified frame from `source` that satisfies `predicate`, or nil when the source
    /// ends (or `maximumFrames` were classified) first. Stops reading as soon as one matches.
    public func firstFrame(
        from source: any FrameSource, maximumFrames: Int? = nil,
        skipped: @escaping @Sendable (any Error) -> Void = { _ in },
        where predicate: (ClassifiedFrame) async throws -> Bool
    ) async throws -> ClassifiedFrame? {
        var found: ClassifiedFrame?
        try await run(source, maximumFrames: maximumFrames, skipped: skipped) { frame in
            guard try await predicate(frame) else { return true }
            found = frame
            return false
        }
        return found
    }

    /// Classifies frames and hands them to `body` while it returns true.
    private func run(
        _ source: any FrameSource, maximumFrames: Int?, skipped: @escaping @Sendable (any Error) -> Void,
        _ body: (ClassifiedFrame) async throws -> Bool
    ) async throws {
        let classifier = self.classifier, topK = self.topK
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
        try await withThrowingTaskGroup(of: Prepared?.self) { group in
            // At most one child at a time: the next frame, prepared while this one is classified.
            group.addTask { try await prepare() }
            var index = 0
            while maximumFrames.map({ index < $0 }) ?? true, let next = try await group.next(), var prepared = next {
                if maximumFrames.map({ index + 1 < $0 }) ?? true {
                    group.addTask { try await prepare() }
                }
                var result = try classifier.classify(tensor: &prepared.tensor, topK: topK)
                result.timings.preprocess = prepared.preprocess
                let more = try await body(ClassifiedFrame(index: index, image: prepared.image, result: result, capture: prepared.capture))
                guard more else { break }
                index += 1
            }
            group.cancelAll()
        }
    }
}
