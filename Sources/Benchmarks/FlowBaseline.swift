import AzureStorage
import Foundation
import HubService
import IoTHub
import Logging
import Verification
import Vision

/// The floor the flow is compared with: the same unavoidable steps done back to back by one
/// client, with no module, agent, polling or scheduling between them — a direct-method round trip
/// to a module that answers at once, queue send + receive + delete, one camera frame read and
/// classified, the annotated JPEG encoded and the result sealed, two blob uploads.
enum FlowBaseline {
    /// The total of each iteration, and the mean ms of the stages the flow's table names
    /// ("invoke", "queue", "watch", "inference", "encode", "upload").
    static func measure(rig: FlowRig, iterations: Int) async throws -> (samples: [Duration], stages: [String: Double]) {
        var quiet = Logger(label: "bench")
        quiet.logLevel = .critical
        var options = rig.hub.clientOptions()
        options.logger = quiet
        let echo = ModuleClient(connectionString: try await rig.hub.addModule(deviceId: "baseline-device", moduleId: "echo"), options: options)
        await echo.onMethod { _ in MethodResponse(status: 200, payload: Data(#"{"Response":"ok"}"#.utf8)) }
        try await echo.connect()
        defer { Task { await echo.close() } }
        let queue = QueueClient(connectionString: rig.storage.storageConnectionString, queueName: "bench-baseline")
        try await queue.create()
        let container = BlobContainerClient(connectionString: rig.storage.storageConnectionString, containerName: "bench-baseline")
        try await container.create()
        let camera = try FrameSources.open(rig.camera, options: FrameSourceOptions(loop: true))
        let clock = ContinuousClock()
        var samples: [Duration] = []
        var totals: [String: Duration] = [:]
        for index in 0..<(iterations + 5) {
            let start = clock.now
            var mark = start
            var stage: [String: Duration] = [:]
            func lap(_ key: String) {
                let now = clock.now
                stage[key, default: .zero] += now - mark
                mark = now
            }
            _ = try await rig.service.invokeMethod(deviceId: "baseline-device", moduleId: "echo", methodName: "ProcessRequest", payload: Data("{}".utf8))
            lap("invoke")
            _ = try await queue.send("{}")
            guard let message = try await queue.receive().first else { throw FlowBenchError("baseline queue empty") }
            lap("queue")
            guard var frame = try await camera.nextFrame() else { throw FlowBenchError("baseline camera empty") }
            let inferenceStart = clock.now
            let probabilities = try rig.classifier.classifyWithDetails(frame, topK: 1).probabilities
            stage["inference"] = clock.now - inferenceStart
            lap("watch")
            let confidence = Double(probabilities.max() ?? 0) * 100
            TextOverlay.draw(TextOverlay.foundCaption(className: "espresso", confidence: Float(confidence / 100)), on: &frame, at: (x: 4, y: 4))
            let jpeg = try ImageCodec.encodeJPEG(frame, quality: 85)
            let result = VerificationResult(
                requestId: String(repeating: "0", count: 32), deviceId: "baseline-device", className: "espresso", outcome: .found,
                confidence: confidence, imageSHA256: nil, blobName: nil, capturedAt: Date())
            let envelope = try SignedEnvelope.seal(result, kind: .result, keyId: "baseline-device", secret: rig.deviceSecret)
            lap("encode")
            _ = try await container.blob("\(index)/imageWithDetection.jpg").upload(jpeg, contentType: "image/jpeg", overwrite: true)
            _ = try await container.blob("\(index)/result.json").upload(Array(envelope.jsonData()), contentType: "application/json", overwrite: true)
            lap("upload")
            try await queue.delete(message)
            lap("queue")
            if index >= 5 {   // the first few warm up connections
                samples.append(clock.now - start)
                for (key, value) in stage { totals[key, default: .zero] += value }
            }
        }
        return (samples, totals.mapValues { FlowReport.ms($0) / Double(max(1, samples.count)) })
    }
}
