import AzureStorage
import Foundation
import IoTHub
public import Verification
public import Vision

/// `edgefactor check agent`: what the device agent needs, checked one by one as `iotedge check`
/// does: the model and its labels, the enrolled templates against the model, the camera, storage
/// with the credentials in use, the hub, and the clock.
public enum AgentCheck {
    /// Runs every check; never throws (each failure is a line with its fix).
    /// - Parameter classifier: the model given on the command line, or nil for the configured one.
    public static func run(_ configuration: DeviceAgentConfiguration, classifier given: ImageClassifier?, timeout: Duration = .seconds(10)) async -> [SystemCheck] {
        var checks: [SystemCheck] = []
        let classifier: ImageClassifier?
        if let given {
            classifier = given
        } else {
            do { classifier = try ModelLoader(directory: configuration.modelsDirectory).load(configuration.model) } catch {
                classifier = nil
                checks.append(.fail("model", error.description, fix: "run scripts/setup.sh (it installs ONNX Runtime and the default model), or pass --model and --labels"))
            }
        }
        if let classifier {
            checks.append(.pass("model", "\(classifier.identity.fileName): \(classifier.labels.count) labels, embedding \(classifier.hasEmbedding ? "yes" : "no (personal objects cannot be enrolled)")"))
            checks.append(templates(configuration, model: classifier.identity))
        }
        checks.append(await camera(configuration, timeout: timeout))
        checks += await storage(configuration)
        checks.append(await hub(configuration, timeout: timeout))
        return checks
    }

    static func templates(_ configuration: DeviceAgentConfiguration, model: ModelIdentity) -> SystemCheck {
        guard let deviceId = configuration.hub.deviceId else { return .fail("templates", "no device id", fix: "pass the device's connection string") }
        let store = TemplateStore(stateDirectory: configuration.stateDirectory, secret: configuration.deviceSecret, deviceId: deviceId)
        let stored: [(id: String, model: ModelIdentity?)]
        do { stored = try store.enrolledModels() } catch {
            return .fail("templates", "cannot read the templates: \(error)", fix: "check that the agent's state folder (--state-dir) belongs to the agent's user")
        }
        let unreadable = stored.filter { $0.model == nil }.count
        let otherModel = stored.filter { $0.model.map { $0.sha256 != model.sha256 || $0.preprocessing != model.preprocessing } ?? false }
        guard unreadable == 0, otherModel.isEmpty else {
            var problems: [String] = []
            if unreadable > 0 { problems.append("\(unreadable) do not open with this device's secret") }
            if let first = otherModel.first?.model { problems.append("\(otherModel.count) were enrolled with another model (\(first))") }
            return .fail("templates", "\(stored.count) enrolled; " + problems.joined(separator: "; "),
                         fix: "switch back to the model they were enrolled with, or have their owners enrol the objects again")
        }
        return .pass("templates", stored.isEmpty ? "none enrolled" : "\(stored.count) enrolled, all with \(model.fileName)")
    }

    static func camera(_ configuration: DeviceAgentConfiguration, timeout: Duration) async -> SystemCheck {
        let source: any FrameSource
        do { source = try FrameSources.open(configuration.camera, options: configuration.cameraOptions) } catch {
            return .fail("camera", "cannot open \(configuration.camera): \(error)", fix: "pass --camera with a V4L2 device the agent's user may read (group video), an image folder or a video file")
        }
        let frame = await withTaskGroup(of: Result<RGBImage?, any Error>?.self) { group in
            group.addTask { do { return .success(try await source.nextFrame()) } catch { return .failure(error) } }
            group.addTask { try? await Task.sleep(for: timeout); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        await source.close()
        switch frame {
        case .success(let image?)?: return .pass("camera", "\(configuration.camera) delivers frames (\(image.width)×\(image.height))")
        case .success(nil)?: return .fail("camera", "\(configuration.camera) ended without a frame", fix: "point --camera at a folder with images, or add --camera-loop")
        case .failure(let error)?: return .fail("camera", "\(configuration.camera): \(error)", fix: "check the camera's connection and that no other program holds it")
        case nil: return .fail("camera", "no frame from \(configuration.camera) within \(timeout)", fix: "check that the camera streams (v4l2-ctl --stream-mmap) and that no other program holds it")
        }
    }

    static func storage(_ configuration: DeviceAgentConfiguration) async -> [SystemCheck] {
        var checks: [SystemCheck] = []
        let access = configuration.storage
        if let expiry = access.expiresOn {
            guard expiry > Date() else {
                return [.fail("storage", "the storage grant ended \(StorageDate.iso8601(expiry))", fix: "issue a new one with `edgefactor secrets grant` where the account key is, and copy it to this box")]
            }
        }
        let queue: QueueClient
        let container: BlobContainerClient
        do {
            queue = QueueClient(connectionString: try access.queue(configuration.requestsQueue), queueName: configuration.requestsQueue)
            container = BlobContainerClient(connectionString: try access.container(configuration.responsesContainer), containerName: configuration.responsesContainer)
        } catch {
            return [.fail("storage", error.message, fix: "issue the device's grant with `edgefactor secrets grant`")]
        }
        let queueFinding = await StorageProbe.queue(queue, addOnly: false)
        let containerFinding = await StorageProbe.container(container)
        checks.append(.storage("queue \(queue.queueName)", reachable: queueFinding.reachable, refusal: queueFinding.refusal?.description, credentials: access.credentials))
        checks.append(.storage("container \(container.containerName)", reachable: containerFinding.reachable, refusal: containerFinding.refusal?.description, credentials: access.credentials))
        checks.append(.clock(offset: queueFinding.clockOffset))
        return checks
    }

    static func hub(_ configuration: DeviceAgentConfiguration, timeout: Duration) async -> SystemCheck {
        let client = DeviceClient(connectionString: configuration.hub, options: configuration.hubOptions)
        // Connecting as the device takes its hub session over for a moment; a running agent reconnects by itself.
        let outcome = await TimedAttempt.run(limit: timeout) {
            try await client.connect()
            _ = try await client.getTwin()
        }
        await client.close()
        let host = configuration.hub.hostName
        switch outcome {
        case .succeeded: return .pass("hub", "\(host) accepts device \(configuration.hub.deviceId ?? "?") and serves its twin")
        case .failed(let error): return .fail("hub", "\(host): \(error)", fix: "check the device's connection string (edgefactor hub connection-string DEVICE) and --hub-ca-file")
        case .timedOut: return .fail("hub", "\(host) did not answer within \(timeout)", fix: "check that the hub runs and that this box reaches its MQTT port")
        }
    }
}
