import AzureStorage
import EdgeFactorSupport
import Foundation
import IoTHub
import Logging
import Verification
import Vision

/// The device agent's engine: takes verification requests from the queue, watches the camera for
/// them, and stores and reports their results.
///
/// Delivery is at least once. A message stays invisible on the queue while its request is pending
/// (the lease keeper extends its visibility timeout) and is deleted only after the result is
/// stored; a crash makes it visible again and the next agent answers it. `result.json` is written
/// once, so a redelivered or replayed request is only acknowledged.
actor DeviceAgent {
    let configuration: DeviceAgentConfiguration
    let deviceId: String
    let logger: Logger
    let metrics: AgentMetrics
    let hub: HubLink

    /// The requests queue in use (the module's settings can change it).
    var queue: QueueClient
    /// Earlier requests queues, read until empty so that no request queued there is lost.
    var drainingQueues: [QueueClient]
    var deadLetters: QueueClient
    /// The account's connection string or the device's grant (a renewal replaces the grant).
    let storage: RenewableStorageAccess
    /// The responses container in use, and the publisher storing results there.
    var container: BlobContainerClient
    var publisher: ResultPublisher
    let intake: RequestIntake
    /// The model in use; `modelGeneration` counts swaps so a frame scored by a replaced model is not matched.
    var classifier: ImageClassifier
    var modelGeneration = 0
    /// The settings in force and where they came from (saved in the state folder).
    var applied: AppliedSettings
    let models: ModelLoader
    let retry: RetryPolicy
    let frames: any FrameSource
    let replayGuard = ReplayGuard()
    /// The personal-object templates enrolled here, and the enrolment in progress (one at a time:
    /// the camera shows one object).
    let templates: TemplateStore
    var enrolment: EnrolmentSession?

    var book: RequestBook<QueueMessageLease>
    /// Messages this agent put back on the queue itself: their redelivery is not a replay.
    var releasedMessages: Set<String> = []
    /// Messages for other devices already logged once (bounded).
    var foreignMessages: Set<String> = []
    /// The messages held invisible, saved so that a restart after a crash releases them at once.
    let journal: LeaseJournal
    /// Queues on which another device's message was seen, and this device's deliveries there.
    var sharedQueues: Set<String> = []
    /// The device's own requests queue (`DeviceStorageNames`), which only it reads.
    let ownRequestsQueue: String
    var ownDeliveries: [String: Int] = [:]
    var stopping = false
    /// Requests received and still being checked (answered already? replayed?): the camera starts
    /// on the first frame meanwhile, so the checks overlap the frame instead of preceding it.
    var requestsBeingAdmitted = 0
    var storageReachable = false
    var cameraWorking = true
    /// Why the camera counts as down (reported in the twin).
    var cameraProblem: String?
    /// The operator's live preview, when the agent serves one.
    var preview: MJPEGStreamServer?
    /// The best score last published per watched request, and when.
    var reportedProgress: [String: (value: Double, at: ContinuousClock.Instant)] = [:]

    let pollBell = Doorbell()
    let cameraBell = Doorbell()
    let deadlineBell = Doorbell()
    let slotBell = Doorbell()
    /// Rung when the queue poller has stopped (see ``shutdown(grace:)``).
    let pollerStopped = Doorbell()
    /// Rung at the end of ``shutdown(grace:)``; `shutdownGrace` is the grace it was given.
    private let stopRequested = Doorbell()
    private var shutdownGrace: Duration = .seconds(10)
    var pollerRunning = false
    let jobs: AsyncStream<PublishJob>
    let jobSink: AsyncStream<PublishJob>.Continuation

    init(
        configuration: DeviceAgentConfiguration, classifier: ImageClassifier, frames: any FrameSource,
        metrics: AgentMetrics, logger: Logger
    ) throws(DeviceAgentError) {
        guard let deviceId = configuration.hub.deviceId, configuration.hub.moduleId == nil else {
            throw .configuration("the hub connection string must name a device (DeviceId=…) and no module: the agent connects as the device")
        }
        self.configuration = configuration
        self.deviceId = deviceId
        self.logger = logger
        self.metrics = metrics
        self.classifier = classifier
        self.frames = frames
        hub = HubLink(connectionString: configuration.hub, options: configuration.hubOptions, logger: logger, metrics: metrics)
        // Short retries: the agent's own loops back off and retry, and a poll must not hang for the
        // library's default 90 s while storage is away.
        let retry = RetryPolicy(maximumAttempts: 2, baseDelay: .milliseconds(100), maximumDelay: .seconds(1), attemptTimeout: .seconds(10), callTimeout: .seconds(15))
        self.retry = retry
        // Settings saved by an earlier run (the module's) win over the command line's.
        var applied = try configuration.stateDirectory.flatMap { directory throws(DeviceAgentError) in try AppliedSettings.load(from: directory) }
            ?? AppliedSettings(requestsQueue: configuration.requestsQueue, responsesContainer: configuration.responsesContainer, model: configuration.model)
        let storage = RenewableStorageAccess(configuration.storage, grantFile: configuration.storageGrantFile)
        self.storage = storage
        let access = storage.current
        if !access.covers(queue: applied.requestsQueue) || !access.covers(container: applied.responsesContainer) {
            // Saved before the device had a grant (the shared names of older versions): the grant's
            // own names are the only ones it can use; the module's next settings confirm them.
            logger.warning("the saved settings name a queue or container the storage grant does not cover; using the device's own", metadata: [
                "saved": "\(applied.requestsQueue), \(applied.responsesContainer)",
            ])
            applied.requestsQueue = configuration.requestsQueue
            applied.responsesContainer = configuration.responsesContainer
            applied.drainingQueues = []
        }
        self.applied = applied
        models = ModelLoader(directory: configuration.modelsDirectory)
        do {
            queue = QueueClient(connectionString: try access.queue(applied.requestsQueue), queueName: applied.requestsQueue, retry: retry)
            deadLetters = QueueClient(connectionString: try access.queue(configuration.deadLetterQueue), queueName: configuration.deadLetterQueue, retry: retry)
            container = BlobContainerClient(connectionString: try access.container(applied.responsesContainer), containerName: applied.responsesContainer, retry: retry)
        } catch {
            throw .configuration(error.message)
        }
        // A queue the grant does not cover cannot be drained; there is nothing the agent could read there.
        drainingQueues = applied.drainingQueues.compactMap { name in
            (try? access.queue(name)).map { QueueClient(connectionString: $0, queueName: name, retry: retry) }
        }
        let container = self.container
        intake = RequestIntake(
            deviceId: deviceId, deviceSecret: configuration.deviceSecret, moduleSecrets: configuration.moduleSecrets,
            acceptLegacy: configuration.acceptLegacyMessages, legacyLifetime: configuration.legacyRequestLifetime.inSeconds)
        publisher = ResultPublisher(
            deviceId: deviceId, deviceSecret: configuration.deviceSecret, container: container,
            jpegQuality: configuration.jpegQuality)
        book = RequestBook(capacity: configuration.maxInFlight)
        templates = TemplateStore(stateDirectory: configuration.stateDirectory, secret: configuration.deviceSecret, deviceId: deviceId)
        journal = LeaseJournal(stateDirectory: configuration.stateDirectory)
        ownRequestsQueue = DeviceStorageNames(deviceId: deviceId).requestsQueue
        (jobs, jobSink) = AsyncStream.makeStream(of: PublishJob.self)
    }

    // MARK: Running

    /// Runs until ``shutdown()`` has released or finished every request, or the task is cancelled.
    func run() async {
        await prepareStorage()
        await releaseLeftLeases()
        await restoreModel()
        await hub.report(reportedState)
        await withDiscardingTaskGroup { group in
            group.addTask { await self.hub.run() }
            group.addTask { await self.receiveLoop() }
            group.addTask { await self.cameraLoop() }
            group.addTask { await self.deadlineLoop() }
            group.addTask { await self.leaseLoop() }
            group.addTask { await self.abandonAfterGrace() }
            for await job in jobs {
                group.addTask { await self.publish(job) }
            }
            group.cancelAll()
        }
        logger.info("device agent stopped")
    }

    /// Stops taking requests, puts watching requests back on the queue for the next agent, and
    /// lets results being stored finish (for at most `grace`).
    func shutdown(grace: Duration = .seconds(10)) async {
        guard !stopping else { return }
        stopping = true
        logger.info("shutting down: releasing watching requests, finishing results being stored", metadata: ["pending": "\(book.count)"])
        for bell in [pollBell, cameraBell, deadlineBell, slotBell] { bell.ring() }
        // A receive already sent can still lease a message on the server after the releases
        // below: let the poller finish it (it puts back what it got) before cancelling anything.
        if pollerRunning { await pollerStopped.wait(upTo: grace) }
        for entry in book.entries.values where entry.phase == .watching {
            book.remove(entry.requestId)
            await release(entry.delivery)
        }
        if let session = enrolment {
            enrolment = nil
            await release(session.delivery)
        }
        updatePendingGauge()
        finishIfDrained()
        shutdownGrace = grace
        stopRequested.ring()
    }

    /// After ``shutdown(grace:)`` has released what it could: gives results being stored `grace`
    /// to finish, then releases the rest (a child of ``run()``, cancelled when the agent drains).
    private func abandonAfterGrace() async {
        while !stopping {
            await stopRequested.wait(upTo: .seconds(3600))
            guard !Task.isCancelled else { return }
        }
        try? await Task.sleep(for: shutdownGrace)
        guard !Task.isCancelled else { return }
        await abandonRemaining()
    }

    /// Wakes the queue poller now (the module calls this when both run in one process). No hop
    /// onto the actor: the module's answer to `ProcessRequest` waits for this.
    nonisolated func requestQueued() { pollBell.ring() }

    /// Health summary for the readiness endpoint.
    func readiness() async -> (hub: Bool, storage: Bool, camera: Bool, pending: Int) {
        (await hub.connectedNow(), storageReachable, cameraWorking, book.count)
    }

    private func prepareStorage() async {
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(10))
        while !Task.isCancelled, !stopping {
            do {
                if storage.current.createsResources {
                    try await queue.create()
                    try await deadLetters.create()
                    try await container.create()
                } else {
                    // A grant's resources exist already (its issuer made them): check the queue answers.
                    _ = try await queue.peek(maxMessages: 1)
                }
                setStorageReachable(true)
                return
            } catch {
                setStorageReachable(false)
                logger.warning("storage not reachable; retrying", metadata: ["error": "\(error)"])
                guard await backoff.sleep() else { return }
            }
        }
    }

    func finishIfDrained() {
        if stopping, book.count == 0 { jobSink.finish() }
    }

    private func abandonRemaining() async {
        guard book.count > 0 else { return }
        logger.warning("shutdown grace period over; releasing requests still being stored", metadata: ["count": "\(book.count)"])
        for entry in book.entries.values {
            book.remove(entry.requestId)
            await release(entry.delivery)
        }
        updatePendingGauge()
        jobSink.finish()
    }
}
