import AzureStorage
import EdgeFactorSupport
import Foundation
import IoTHub
import Logging
import Verification

/// Delivers the agent's settings: seals them with the module's secret and puts them on every queue
/// the agent may be reading (the queue it read until now and, after a change, the new one).
///
/// Delivery runs in ``run()`` (a child of the module's task group) and retries with backoff while
/// storage is away, so `ProcessRequest` never waits for it. Only the newest settings are kept: a newer change replaces
/// an undelivered one (the agent would ignore the older revision anyway) and goes to every queue
/// either was meant for. The outcome is reported in the module twin's `agentSettings` property.
actor SettingsCourier {
    private struct Delivery {
        var settings: AgentSettings
        var text: String
        var queues: [String]
        var delivered: Set<String> = []
    }

    private let storage: RenewableStorageAccess
    private let deviceId: String
    private let moduleId: String
    private let secret: SharedSecret
    private let logger: Logger
    private var pending: Delivery?
    /// Rung by ``send(_:revision:)``; holds at most one ring, so changes made while a delivery
    /// runs are picked up by the next pass.
    private let wakeUps: AsyncStream<Void>
    private let wakeUp: AsyncStream<Void>.Continuation
    private var reporter: ModuleClient?
    /// The queue the agent reads, as far as the module knows: where the next settings must go.
    private var agentQueue: String

    init(storage: RenewableStorageAccess, deviceId: String, moduleId: String, secret: SharedSecret, initialQueue: String, logger: Logger) {
        self.storage = storage
        self.deviceId = deviceId
        self.moduleId = moduleId
        self.secret = secret
        self.agentQueue = initialQueue
        self.logger = logger
        (wakeUps, wakeUp) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Where delivery outcomes are reported (set once the module is connected).
    func attach(_ client: ModuleClient) { reporter = client }

    /// Sends `settings` (applied at desired-properties version `revision`) to the agent's current
    /// queue and, when it changed, to the new one; returns at once (``run()`` delivers).
    func send(_ settings: ModuleSettings, revision: Int) {
        let agentSettings: AgentSettings
        let sealed: SignedEnvelope
        do {
            agentSettings = try AgentSettings.make(
                deviceId: deviceId, requestsQueue: settings.requestsQueue, responsesContainer: settings.responsesContainer,
                model: settings.model, revision: revision)
            sealed = try SignedEnvelope.seal(agentSettings, kind: .agentSettings, keyId: moduleId, secret: secret)
        } catch {
            logger.error("cannot seal the agent's settings", metadata: ["error": "\(error)"])
            return
        }
        var queues = pending?.queues ?? []
        for queue in [agentQueue, settings.requestsQueue] where !queues.contains(queue) { queues.append(queue) }
        agentQueue = settings.requestsQueue
        pending = Delivery(settings: agentSettings, text: sealed.jsonString(), queues: queues)
        wakeUp.yield()
    }

    /// Delivers what ``send(_:revision:)`` hands over until cancelled (at shutdown: an undelivered
    /// change is sent again after the next start).
    func run() async {
        for await _ in wakeUps {
            await deliverPending()
        }
    }

    private func deliverPending() async {
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(30))
        var reportedFailure: Int?
        while !Task.isCancelled, let delivery = pending {
            do {
                for queueName in delivery.queues where !delivery.delivered.contains(queueName) {
                    let access = storage.current
                    let queue = QueueClient(connectionString: try access.queue(queueName), queueName: queueName)
                    if access.createsResources { try await queue.create() }
                    // No expiry: the agent may be off for days, and the message is still the latest word.
                    _ = try await queue.send(delivery.text, timeToLive: .seconds(-1))
                    markDelivered(queueName, revision: delivery.settings.revision)
                }
                guard let done = pending, done.settings.revision == delivery.settings.revision,
                      done.delivered.count == done.queues.count
                else { continue }
                pending = nil
                logger.info("agent settings delivered", metadata: ["revision": "\(done.settings.revision)", "queues": "\(done.queues.joined(separator: ","))"])
                await report(done, error: nil)
                backoff.reset()
            } catch {
                logger.warning("cannot deliver the agent's settings; retrying", metadata: ["error": "\(error)"])
                if reportedFailure != delivery.settings.revision {
                    reportedFailure = delivery.settings.revision
                    await report(delivery, error: "\(error)")
                }
                guard await backoff.sleep() else { break }
            }
        }
    }

    private func markDelivered(_ queue: String, revision: Int) {
        guard pending?.settings.revision == revision else { return }
        pending?.delivered.insert(queue)
    }

    private func report(_ delivery: Delivery, error: String?) async {
        guard let reporter else { return }
        let settings = delivery.settings
        let entry: [String: JSONValue] = [
            "revision": .int(Int64(settings.revision)), "requestsQueue": .string(settings.requestsQueue),
            "responsesContainer": .string(settings.responsesContainer), "model": .string(settings.model),
            "delivered": .bool(error == nil), "queues": .array(delivery.queues.map { .string($0) }),
            "error": error.map { .string("storage did not take the settings (\($0)); retrying") } ?? .null,
        ]
        do { _ = try await reporter.updateReportedProperties(["agentSettings": .object(entry)]) } catch {
            logger.warning("cannot report the agent settings' delivery", metadata: ["error": "\(error)"])
        }
    }
}
