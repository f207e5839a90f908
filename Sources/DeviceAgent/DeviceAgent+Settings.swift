import AzureStorage
import Foundation
import IoTHub
import Verification
import Vision

/// The module's settings: the agent applies a sealed `AgentSettings` newer than the one in force,
/// saves it, and reports it in the device twin.
extension DeviceAgent {
    /// The queues to read: the one in use first, then those being drained.
    var pollSources: [QueueClient] { [queue] + drainingQueues }

    /// An old queue holds no message: stop reading it unless a request from it is still pending
    /// (its message could come back if the agent released it).
    func drained(_ source: QueueClient) async {
        guard drainingQueues.contains(where: { $0 === source }),
              !book.entries.values.contains(where: { $0.delivery.queue === source })
        else { return }
        drainingQueues.removeAll { $0 === source }
        applied.drainingQueues.removeAll { $0 == source.queueName }
        logger.info("old requests queue drained; no longer reading it", metadata: ["queue": "\(source.queueName)"])
        persist()
        await hub.report(reportedState)
    }

    /// Loads the saved model when it is not the one the agent started with.
    func restoreModel() async {
        guard applied.model != configuration.model else { return }
        let name = applied.model
        let loader = models
        logger.info("loading the model of the saved settings", metadata: ["model": "\(name)"])
        switch await Self.load(name, with: loader) {
        case .success(let model):
            swapModel(model)
            applied.modelError = nil
        case .failure(let error):
            logger.error("cannot load the saved settings' model; keeping the starting one", metadata: ["model": "\(name)", "error": "\(error)"])
            applied.model = configuration.model
            applied.modelError = error.description
        }
    }

    /// Applies `message` if it is newer than the settings in force; the queue message is deleted
    /// once the settings are applied and saved, or left for a retry when storage is away.
    func applySettings(_ message: RequestIntake.SettingsMessage, message queued: QueueMessage, from source: QueueClient) async {
        let settings = message.settings
        let log = logger.with("messageId", queued.messageId)
        guard applied.isSuperseded(by: settings) else {
            if settings.revision == applied.revision {
                log.info("module settings already applied; removing the copy", metadata: ["revision": "\(settings.revision)", "queue": "\(source.queueName)"])
                await delete(queued, from: source, log: log)
            } else {
                await reject(queued, from: source, RequestRejection(.staleSettings, "module settings of revision \(settings.revision) are older than the applied revision \(applied.revision ?? 0); a replay or a late copy, ignored"))
            }
            return
        }
        log.info("applying the module's settings", metadata: [
            "revision": "\(settings.revision)", "queue": "\(settings.requestsQueue)",
            "container": "\(settings.responsesContainer)", "model": "\(settings.model)",
        ])
        // Storage first: a new queue or container that cannot be created leaves everything as it
        // was, and the message comes back after its visibility timeout for another attempt.
        let access = storage.current
        let newQueue: QueueClient?
        let newContainer: BlobContainerClient?
        do {
            newQueue = settings.requestsQueue == queue.queueName ? nil
                : QueueClient(connectionString: try access.queue(settings.requestsQueue), queueName: settings.requestsQueue, retry: retry)
            newContainer = settings.responsesContainer == container.containerName ? nil
                : BlobContainerClient(connectionString: try access.container(settings.responsesContainer), containerName: settings.responsesContainer, retry: retry)
        } catch {
            // The device's grant covers its own queue and container only; retrying cannot help.
            log.error("the module's settings name storage this agent's grant does not cover; ignored", metadata: ["error": "\(error)"])
            await reject(queued, from: source, RequestRejection(.invalidField, error.message))
            return
        }
        do {
            if access.createsResources {
                try await newQueue?.create()
                try await newContainer?.create()
            }
        } catch {
            setStorageReachable(false)
            log.warning("cannot create the settings' queue or container; the settings are retried later", metadata: ["error": "\(error)"])
            return
        }
        var modelError: String?
        var model: ImageClassifier?
        if settings.model != applied.model {
            switch await Self.load(settings.model, with: models) {
            case .success(let loaded): model = loaded
            case .failure(let error):
                modelError = error.description
                log.error("cannot load the module's model; keeping the current one", metadata: ["model": "\(settings.model)", "error": "\(error)"])
            }
        }
        // Another settings message may have been applied while this one waited for storage.
        guard applied.isSuperseded(by: settings) else {
            await delete(queued, from: source, log: log)
            return
        }
        if let model {
            swapModel(model)
            applied.model = settings.model
        }
        applied.modelError = modelError
        if let newContainer {
            container = newContainer
            publisher = ResultPublisher(deviceId: deviceId, deviceSecret: configuration.deviceSecret, container: newContainer, jpegQuality: configuration.jpegQuality)
            applied.responsesContainer = newContainer.containerName
        }
        if let newQueue {
            let old = queue
            drainingQueues.removeAll { $0.queueName == newQueue.queueName }
            if !drainingQueues.contains(where: { $0.queueName == old.queueName }) { drainingQueues.append(old) }
            queue = newQueue
            applied.requestsQueue = newQueue.queueName
            applied.drainingQueues = drainingQueues.map(\.queueName)
        }
        applied.revision = settings.revision
        applied.moduleId = message.moduleId
        applied.appliedAt = Date()
        persist()
        // Reported once the message is gone, so that the report means "applied and acknowledged".
        await delete(queued, from: source, log: log)
        await hub.report(reportedState)
    }

    /// Saves the settings in the state folder, when there is one.
    private func persist() {
        guard let directory = configuration.stateDirectory else { return }
        do { try applied.save(to: directory) } catch {
            logger.error("cannot save the applied settings; a restart would go back to the previous ones", metadata: ["error": "\(error)"])
        }
    }

    /// Puts `model` in use from the next frame; watching requests look for their class in it.
    private func swapModel(_ model: ImageClassifier) {
        classifier = model
        modelGeneration += 1
        book.reindex { model.labels.index(matching: $0) }
        logger.info("model in use", metadata: ["model": "\(model.configuration.modelPath)", "classes": "\(model.labels.count)"])
    }

    /// Loads a model off the actor (`@concurrent`: on the global executor): loading takes seconds
    /// and must not hold up the agent's other work.
    @concurrent
    private static func load(_ name: String, with loader: ModelLoader) async -> Result<ImageClassifier, DeviceAgentError> {
        do throws(DeviceAgentError) { return .success(try loader.load(name)) } catch { return .failure(error) }
    }
}

extension DeviceAgent {
    /// The device twin's reported properties: the settings in force, and the fingerprints of the
    /// secrets this agent holds, so that `edgefactor check frontend` can compare them with the
    /// front-end's and the module's without any secret leaving its machine.
    var reportedState: [String: JSONValue] {
        var patch = applied.reportedPatch
        patch["camera"] = .object(["working": .bool(cameraWorking), "problem": cameraProblem.map { .string($0) } ?? .null])
        patch["secrets"] = .object([
            "device": .string(configuration.deviceSecret.fingerprint),
            "modules": .object(configuration.moduleSecrets.mapValues { .string($0.fingerprint) }),
        ])
        return patch
    }
}
