import EdgeFactorSupport
import AzureStorage
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
    private let frames: any FrameSource
    let replayGuard = ReplayGuard()
    /// The personal-object templates enrolled here, and the enrolment in progress (one at a time:
    /// the camera shows one object).
    let templates: TemplateStore
    var enrolment: EnrolmentSession?

    var book: RequestBook<QueueMessageLease>
    /// Messages this agent put back on the queue itself: their redelivery is not a replay.
    private var releasedMessages: Set<String> = []
    /// Messages for other devices already logged once (bounded).
    private var foreignMessages: Set<String> = []
    /// The messages held invisible, saved so that a restart after a crash releases them at once.
    private let journal: LeaseJournal
    /// Queues on which another device's message was seen, and this device's deliveries there.
    private var sharedQueues: Set<String> = []
    /// The device's own requests queue (`DeviceStorageNames`), which only it reads.
    private let ownRequestsQueue: String
    private var ownDeliveries: [String: Int] = [:]
    private var stopping = false
    private(set) var storageReachable = false
    private(set) var cameraWorking = true
    /// Why the camera counts as down (reported in the twin).
    private(set) var cameraProblem: String?
    /// The operator's live preview, when the agent serves one.
    var preview: MJPEGStreamServer?
    /// The best score last published per watched request, and when.
    private var reportedProgress: [String: (value: Double, at: ContinuousClock.Instant)] = [:]

    private let pollBell = Doorbell()
    let cameraBell = Doorbell()
    let deadlineBell = Doorbell()
    private let slotBell = Doorbell()
    /// Rung when the queue poller has stopped (see ``shutdown(grace:)``).
    private let pollerStopped = Doorbell()
    /// Rung at the end of ``shutdown(grace:)``; `shutdownGrace` is the grace it was given.
    private let stopRequested = Doorbell()
    private var shutdownGrace: Duration = .seconds(10)
    private var pollerRunning = false
    private let jobs: AsyncStream<PublishJob>
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

    /// Wakes the queue poller now (the module calls this when both run in one process).
    func requestQueued() async { pollBell.ring() }

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

    private func finishIfDrained() {
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

    // MARK: Queue

    private var freeSlots: Int { stopping ? 0 : book.freeSlots }
    private var isStopping: Bool { stopping }

    private func setPollerRunning(_ running: Bool) async {
        pollerRunning = running
        if !running { pollerStopped.ring() }
    }

    private nonisolated func receiveLoop() async {
        await setPollerRunning(true)
        await pollQueue()
        await setPollerRunning(false)
    }

    private nonisolated func pollQueue() async {
        let pollRange = configuration.pollInterval
        var idleWait = pollRange.lowerBound
        var lastMessage = ContinuousClock.now - configuration.pollBurstWindow
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(10))
        while !Task.isCancelled, await !isStopping {
            let free = await freeSlots
            guard free > 0 else {
                await slotBell.wait(upTo: .seconds(1))
                continue
            }
            var messages: [(QueueMessage, QueueClient)] = []
            do {
                let current = await queue
                for source in await pollSources where messages.count < free {
                    let received: [QueueMessage]
                    do {
                        received = try await source.receive(maxMessages: min(32, free - messages.count), visibilityTimeout: configuration.visibilityTimeout)
                    } catch let error as StorageError where error.status == 404 && source !== current {
                        // An old queue an operator deleted has nothing left to drain.
                        await drained(source)
                        continue
                    }
                    messages += received.map { ($0, source) }
                    // Empty counts invisible messages too (leased by another agent, or sent with a
                    // delay): only a queue that holds none is drained.
                    if received.isEmpty, source !== current, (try? await source.approximateMessageCount()) == 0 {
                        await drained(source)
                    }
                }
                await setStorageReachable(true)
                backoff.reset()
            } catch {
                guard !Task.isCancelled else { return }
                await setStorageReachable(false)
                logger.warning("cannot read the requests queue; retrying", metadata: ["error": "\(error)"])
                guard await backoff.sleep() else { return }
                continue
            }
            if messages.isEmpty {
                await pollBell.wait(upTo: idleWait)
                // Requests come in bursts (people signing in): keep polling fast for a while after
                // the last one, then back off towards the upper bound.
                if ContinuousClock.now - lastMessage > configuration.pollBurstWindow {
                    idleWait = min(idleWait * 2, pollRange.upperBound)
                }
                continue
            }
            let receivedAt = ContinuousClock.now
            let ours = await withTaskGroup(of: Bool.self) { group in
                for (message, source) in messages {
                    group.addTask { await self.accept(message, from: source, receivedAt: receivedAt) }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            if ours > 0 {
                await recordLeases()
                idleWait = pollRange.lowerBound
                lastMessage = receivedAt
            } else {
                // Only other devices' messages: back off as for an empty queue, not a tight loop.
                await pollBell.wait(upTo: idleWait)
                idleWait = min(idleWait * 2, pollRange.upperBound)
            }
        }
    }

    /// What a queue message turned out to be, once opened.
    private enum Opened {
        case settings(RequestIntake.SettingsMessage)
        case task(RequestIntake.DeviceTask)
        case request(RequestIntake.Accepted)
    }

    /// Opens one message and admits, acknowledges or rejects it (or applies the module's settings).
    /// Returns false for a message left on the queue for another device's agent.
    private func accept(_ message: QueueMessage, from source: QueueClient, receivedAt: ContinuousClock.Instant) async -> Bool {
        let opened: Opened
        do {
            if let settings = try intake.openSettings(message.text) {
                opened = .settings(settings)
            } else if let task = try intake.openTask(message.text) {
                opened = .task(task)
            } else {
                opened = .request(try intake.open(message.text))
            }
        } catch where error.leavesUntouched {
            await leave(message, from: source, error)
            return false
        } catch {
            await reject(message, from: source, error)
            return true
        }
        let attempts = deliveries(of: message, from: source)
        if attempts > configuration.maxAttempts {
            await reject(message, from: source, RequestRejection(.tooManyAttempts, "delivered \(attempts) times (limit \(configuration.maxAttempts)); the agent failed to answer it every time"))
            return true
        }
        switch opened {
        case .settings(let settings): await applySettings(settings, message: message, from: source)
        case .task(let task): await acceptTask(task, message: message, from: source, receivedAt: receivedAt)
        case .request(let accepted): await admit(accepted, message: message, from: source, receivedAt: receivedAt)
        }
        return true
    }

    /// How often this device has been handed `message`. On the device's own queue that is the
    /// queue's dequeue count. On any other queue other devices may read too (certainly when one of
    /// their messages came by): there every agent's deliveries raise that count, so the agent
    /// counts its own, in memory; a hundredfold dequeue count still ends a message that no agent
    /// can ever answer, across restarts.
    private func deliveries(of message: QueueMessage, from source: QueueClient) -> Int {
        guard source.queueName != ownRequestsQueue || sharedQueues.contains(source.queueName) else { return message.dequeueCount }
        if ownDeliveries.count > 4096 { ownDeliveries.removeAll(keepingCapacity: true) }
        ownDeliveries[message.messageId, default: 0] += 1
        let counted = ownDeliveries[message.messageId] ?? 1
        return message.dequeueCount > configuration.maxAttempts * 100 ? message.dequeueCount : counted
    }

    /// Puts another device's message back as it was, visible at once for its own agent.
    private func leave(_ message: QueueMessage, from source: QueueClient, _ rejection: RequestRejection) async {
        metrics.leftForOthers.increment()
        sharedQueues.insert(source.queueName)
        if foreignMessages.insert(message.messageId).inserted {
            logger.info("left a message for another device on the queue", metadata: ["messageId": "\(message.messageId)", "detail": "\(rejection.detail)", "queue": "\(source.queueName)"])
            if foreignMessages.count > 4096 { foreignMessages.removeAll(keepingCapacity: true) }
        }
        do {
            _ = try await source.update(message, visibilityTimeout: .zero)
        } catch {
            logger.debug("cannot release another device's message; it becomes visible when its lease lapses", metadata: ["error": "\(error)"])
        }
    }

    /// Admits a request that passed every check.
    private func admit(_ accepted: RequestIntake.Accepted, message: QueueMessage, from source: QueueClient, receivedAt: ContinuousClock.Instant) async {
        let log = logger.with("messageId", message.messageId)
        let request = accepted.request
        let lease = QueueMessageLease(queue: source, message: message, enqueuedAt: accepted.enqueuedAt, receivedAt: receivedAt)
        if book.entry(request.requestId) != nil {
            await admitKnown(request, lease: lease, log: log)
            return
        }
        do {
            if try await publisher.isAnswered(request.requestId) {
                log.info("request already answered; acknowledging the message without a second result", metadata: ["requestId": "\(request.requestId)"])
                if message.dequeueCount == 1, !releasedMessages.contains(message.messageId) {
                    metrics.rejected(.replayed)
                }
                await delete(message, from: source, log: log)
                return
            }
        } catch {
            setStorageReachable(false)
            log.warning("cannot check for an existing result; leaving the message for a later attempt", metadata: ["error": "\(error)"])
            return
        }
        if book.entry(request.requestId) != nil {
            await admitKnown(request, lease: lease, log: log)
            return
        }
        do {
            try await replayGuard.admit(request.nonce, until: accepted.deadline)
        } catch VerificationError.replayed where releasedMessages.contains(message.messageId) {
            releasedMessages.remove(message.messageId)
        } catch {
            await reject(message, from: source, RequestRejection(error, context: "request \(request.requestId)"))
            return
        }
        guard !stopping else {
            await release(lease)
            return
        }
        let target = watchTarget(for: request)
        switch book.admit(request, classIndex: target.classIndex ?? -1, deadline: accepted.deadline, delivery: lease, now: receivedAt,
                          template: target.template, matchPolicy: configuration.matchPolicy) {
        case .admitted:
            updatePendingGauge()
            log.info("watching for the requested object", metadata: [
                "requestId": "\(request.requestId)", "class": "\(request.className)", "threshold": "\(request.threshold)",
                "deadline": "\(accepted.deadline.formatted(.iso8601))", "legacy": "\(accepted.legacy)",
                "template": "\(request.templateId ?? "none")",
            ])
            if let problem = target.problem, let entry = book.decide(request.requestId, outcome: .notFound) {
                log.warning("the request cannot be satisfied; answering not found", metadata: ["class": "\(request.className)", "reason": "\(problem)"])
                jobSink.yield(.notFound(entry))
            } else {
                cameraBell.ring()
                deadlineBell.ring()
            }
        case .full:
            await release(lease)
        case .redelivered, .duplicate:
            await admitKnown(request, lease: lease, log: log)
        }
    }

    /// A message for a request that is already pending.
    private func admitKnown(_ request: VerificationRequest, lease: QueueMessageLease, log: Logger) async {
        switch book.admit(request, classIndex: -1, deadline: Date(), delivery: lease, now: lease.receivedAt) {
        case .redelivered:
            log.info("message redelivered while its request is pending; keeping the newer receipt", metadata: ["requestId": "\(request.requestId)"])
        case .duplicate:
            log.warning("second message for a pending request (duplicate or replay); deleting it", metadata: ["requestId": "\(request.requestId)"])
            metrics.rejected(.replayed)
            await delete(lease.message, from: lease.queue, log: log)
        case .admitted, .full:
            break
        }
    }

    func reject(_ message: QueueMessage, from source: QueueClient, _ rejection: RequestRejection) async {
        let log = logger.with("messageId", message.messageId)
        metrics.rejected(rejection.reason)
        log.warning("rejected a queue message", metadata: ["reason": "\(rejection.reason.rawValue)", "detail": "\(rejection.detail)", "queue": "\(source.queueName)"])
        if rejection.deadLetters {
            await deadLetter(message, from: source, reason: rejection, log: log)
        } else {
            await delete(message, from: source, log: log)
        }
    }

    private func deadLetter(_ message: QueueMessage, from source: QueueClient, reason: RequestRejection, log: Logger) async {
        let record = DeadLetterRecord(
            reason: reason.reason.rawValue, detail: reason.detail, messageId: message.messageId,
            dequeueCount: message.dequeueCount, insertedOn: message.insertedOn, deadLetteredOn: Date(), text: message.text)
        do {
            _ = try await deadLetters.send(record.jsonText())
            try await source.delete(message)
            metrics.deadLettered.increment()
        } catch {
            log.warning("cannot move the message to the dead-letter queue; it will be retried", metadata: ["error": "\(error)"])
        }
    }

    func delete(_ message: QueueMessage, from source: QueueClient, log: Logger) async {
        do {
            try await source.delete(message)
        } catch {
            log.warning("cannot delete the queue message; it will come back and be acknowledged then", metadata: ["error": "\(error)"])
        }
    }

    /// Makes a message visible again at once, for another agent or the next start.
    func release(_ lease: QueueMessageLease) async {
        releasedMessages.insert(lease.messageId)
        do {
            _ = try await lease.queue.update(lease.message, visibilityTimeout: .zero)
        } catch {
            logger.warning("cannot release the queue message; it becomes visible when its lease lapses", metadata: ["messageId": "\(lease.messageId)", "error": "\(error)"])
        }
    }

    // MARK: Leases

    private nonisolated func leaseLoop() async {
        let timeout = configuration.visibilityTimeout
        let period = timeout / 3
        while !Task.isCancelled {
            do { try await Task.sleep(for: period) } catch { return }
            for (requestId, lease) in await leases() {
                do {
                    let renewed = try await lease.queue.update(lease.message, visibilityTimeout: timeout)
                    await renewLease(requestId, message: renewed)
                } catch {
                    logger.warning("cannot extend a request's visibility timeout", metadata: ["requestId": "\(requestId)", "error": "\(error)"])
                }
            }
            await recordLeases()
        }
    }

    /// Saves the messages held now (see ``LeaseJournal``).
    private func recordLeases() async {
        let entries = leases().map { LeaseJournal.Entry(queue: $0.delivery.queue.queueName, messageId: $0.delivery.messageId, popReceipt: $0.delivery.message.popReceipt) }
        do { try journal.record(entries) } catch {
            logger.debug("cannot save the held messages; after a crash they reappear when their lease lapses", metadata: ["error": "\(error)"])
        }
    }

    /// Makes visible at once the messages a killed predecessor still held.
    private func releaseLeftLeases() async {
        let left = journal.takeOver()
        guard !left.isEmpty else { return }
        let access = storage.current
        var released = 0
        for entry in left {
            guard let connection = try? access.queue(entry.queue) else { continue }
            let stub = QueueMessage(messageId: entry.messageId, popReceipt: entry.popReceipt, text: "", dequeueCount: 0, insertedOn: Date(), expiresOn: Date(), nextVisibleOn: Date())
            // Fails harmlessly when the message is gone, or someone received it since.
            if (try? await QueueClient(connectionString: connection, queueName: entry.queue, retry: retry).update(stub, visibilityTimeout: .zero)) != nil {
                releasedMessages.insert(entry.messageId)
                released += 1
            }
        }
        logger.info("released the requests a previous run left held", metadata: ["released": "\(released)", "recorded": "\(left.count)"])
    }

    private func leases() -> [(requestId: String, delivery: QueueMessageLease)] {
        book.deliveries + (enrolment.map { [($0.request.requestId, $0.delivery)] } ?? [])
    }

    private func renewLease(_ requestId: String, message: QueueMessage) {
        if var session = enrolment, session.request.requestId == requestId, session.delivery.messageId == message.messageId {
            session.delivery.message = message
            enrolment = session
            return
        }
        guard var lease = book.entry(requestId)?.delivery, lease.messageId == message.messageId else { return }
        lease.message = message
        book.updateDelivery(requestId, to: lease)
    }

    // MARK: Camera

    private var isWatching: Bool { book.isWatching || enrolment != nil || previewWatched }

    private nonisolated func cameraLoop() async {
        let clock = ContinuousClock()
        // Short: a camera that is down is retried for each new request, which waits for the answer.
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1))
        var failures = 0
        while !Task.isCancelled {
            guard await isWatching else {
                await cameraBell.wait(upTo: .seconds(1))
                continue
            }
            let started = clock.now
            let capturedAt = Date()
            let frame: RGBImage
            do {
                guard let next = try await frames.nextFrame() else {
                    logger.warning("the camera returned no frame; retrying")
                    failures += 1
                    await cameraFailed("the camera returned no frame", attempts: failures)
                    guard await backoff.sleep() else { return }
                    continue
                }
                frame = next
            } catch {
                logger.warning("cannot read a frame; retrying", metadata: ["error": "\(error)"])
                failures += 1
                await cameraFailed("cannot read a frame: \(error)", attempts: failures)
                guard await backoff.sleep() else { return }
                continue
            }
            backoff.reset()
            failures = 0
            await setCameraWorking(true)
            // Classification is long synchronous work, and the hops around it run inline when the
            // actor is free: without a real suspension point, two agents in one process (the
            // tests, the demo) would hold every cooperative thread and starve deadlines and I/O.
            await Task.yield()
            let inferenceStart = clock.now
            let analysis: ImageClassifier.FrameAnalysis
            // The model in use now; a swap takes effect from the next frame.
            let (classifier, generation) = await currentModel
            do {
                // One inference gives the class scores and, for personal objects, the embedding.
                analysis = try classifier.analyze(frame, topK: 1)
            } catch {
                logger.error("classification failed", metadata: ["error": "\(error)"])
                continue
            }
            let inference = clock.now - inferenceStart
            metrics.frameClassified(inference: inference)
            await showPreview(frame, classification: analysis.classification)
            let scores = FrameScores(probabilities: analysis.classification.probabilities, embedding: analysis.embedding, model: classifier.identity)
            await frameClassified(scores, generation: generation, frame: frame, startedAt: started, capturedAt: capturedAt, inference: inference)
        }
    }

    private var currentModel: (ImageClassifier, Int) { (classifier, modelGeneration) }

    private func frameClassified(
        _ scores: FrameScores, generation: Int, frame: RGBImage, startedAt: ContinuousClock.Instant, capturedAt: Date, inference: Duration
    ) {
        // Scores from a model replaced meanwhile use the old class indices: skip the frame.
        guard generation == modelGeneration else { return }
        for match in book.match(capturedAfter: startedAt, confidence: scores.percent, similarity: scores.similarity(to:)) {
            jobSink.yield(.found(match.entry, frame: frame, confidence: match.confidence, capturedAt: capturedAt, inferenceMilliseconds: inference.inMilliseconds))
        }
        reportProgress()
        enrolmentFrame(frame, embedding: scores.embedding, startedAt: startedAt)
    }

    /// Publishes the best score of each watched request when it has risen by a point or more, at
    /// most once a second per request (each is a blob write).
    private func reportProgress(now: ContinuousClock.Instant = .now) {
        for entry in book.entries.values where entry.phase == .watching {
            let last = reportedProgress[entry.requestId]
            guard entry.bestConfidence >= (last?.value ?? 0) + 1, last.map({ now - $0.at >= .seconds(1) }) ?? true else { continue }
            reportedProgress[entry.requestId] = (entry.bestConfidence, now)
            jobSink.yield(.verificationProgress(VerificationProgress(
                requestId: entry.requestId, deviceId: deviceId, bestConfidence: min(100, entry.bestConfidence), updatedAt: Date())))
        }
        if reportedProgress.count > book.entries.count + 64 {
            reportedProgress = reportedProgress.filter { book.entries[$0.key] != nil }
        }
    }

    private func setCameraWorking(_ value: Bool) async {
        guard value != cameraWorking else { return }
        cameraWorking = value
        if value { cameraProblem = nil }
        logger.notice(value ? "the camera delivers frames again" : "the camera delivers no frames", metadata: ["problem": "\(cameraProblem ?? "")"])
        await hub.report(reportedState)  // only queues the patch: the hub may be away
    }

    /// After three failed reads in a row the camera counts as down: the requests being watched are
    /// answered at once (the person is told the camera is not working, and it does not count as a
    /// failed second factor). A new request gets one more read (the camera may be back) before
    /// it is answered the same way.
    private func cameraFailed(_ problem: String, attempts: Int) async {
        guard attempts >= Self.cameraFailuresBeforeDown else { return }
        cameraProblem = problem
        await setCameraWorking(false)
        for entry in book.entries.values where entry.phase == .watching {
            guard let decided = book.decide(entry.requestId, outcome: .cameraUnavailable) else { continue }
            logger.warning("the camera delivers no frames; answering at once", metadata: ["requestId": "\(entry.requestId)", "problem": "\(problem)"])
            jobSink.yield(.cameraUnavailable(decided))
        }
    }

    static let cameraFailuresBeforeDown = 3
    func setStorageReachable(_ value: Bool) {
        storageReachable = value
        metrics.storageReachable.set(to: value ? 1 : 0)
    }

    // MARK: Deadlines

    private var nextDeadline: Date? {
        [book.nextDeadline, enrolment?.captureEnds].compactMap { $0 }.min()
    }

    private nonisolated func deadlineLoop() async {
        while !Task.isCancelled {
            if let next = await nextDeadline {
                let wait = next.timeIntervalSinceNow
                if wait > 0 { await deadlineBell.wait(upTo: .milliseconds(Int(min(wait, 3600) * 1000) + 1)) }
            } else {
                await deadlineBell.wait(upTo: .seconds(3600))
            }
            await expireDue()
        }
    }

    private func expireDue() {
        for entry in book.expire(now: Date()) {
            jobSink.yield(.notFound(entry))
        }
        finishEnrolmentIfOver(now: Date())
    }

    // MARK: Results

    private func publish(_ job: PublishJob) async {
        guard let entry = job.entry else {
            await publishEnrolment(job)
            return
        }
        let request = entry.request
        let log = logger.with("requestId", request.requestId)
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
        var published: ResultPublisher.Published?
        for attempt in 1...configuration.publishAttempts {
            do {
                switch job {
                case .found(_, let frame, let confidence, let capturedAt, let inferenceMs):
                    var result = try await publisher.publishFound(request: request, frame: frame, confidence: confidence, capturedAt: capturedAt)
                    result.timings["inference"] = inferenceMs
                    published = result
                case .notFound(let entry):
                    published = try await publisher.publishNotFound(request: request, bestConfidence: entry.bestConfidence)
                case .cameraUnavailable(let entry):
                    published = try await publisher.publishNotFound(request: request, bestConfidence: entry.bestConfidence, outcome: .cameraUnavailable)
                case .enrolment, .progress, .verificationProgress:
                    return
                }
                setStorageReachable(true)
                break
            } catch {
                setStorageReachable(false)
                log.warning("cannot store the result; retrying", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                guard attempt < configuration.publishAttempts, await backoff.sleep() else { break }
            }
        }
        guard var published else {
            log.error("giving up storing the result for now; the request goes back on the queue")
            if let current = book.remove(request.requestId) { await release(current.delivery) }
            afterRemoval()
            return
        }
        let lease = book.entry(request.requestId)?.delivery ?? entry.delivery
        let now = ContinuousClock.now
        published.timings["watch"] = (now - lease.receivedAt).inMilliseconds - (published.timings["upload"] ?? 0) - (published.timings["encode"] ?? 0)
        published.timings["total"] = (now - lease.receivedAt).inMilliseconds
        if let enqueuedAt = lease.enqueuedAt {
            published.timings["queue"] = max(0, Date().timeIntervalSince(enqueuedAt) * 1000 - (now - lease.receivedAt).inMilliseconds)
        }
        if published.stored {
            await hub.send(telemetry(for: published))
            metrics.endToEnd.record(now - lease.receivedAt)
            switch published.result.outcome {
            case .found: metrics.succeeded.increment()
            case .notFound: metrics.expired.increment()
            case .cameraUnavailable: metrics.cameraUnavailable.increment()
            }
            log.info("answered", metadata: [
                "outcome": "\(published.result.outcome.rawValue)", "confidence": "\(String(format: "%.1f", published.result.confidence))",
                "ms": "\(String(format: "%.1f", published.timings["total"] ?? 0))",
            ])
        } else {
            log.info("a result was already stored by an earlier attempt; keeping it")
        }
        await deleteAnswered(request.requestId, log: log)
        book.remove(request.requestId)
        afterRemoval()
        await recordLeases()
    }

    /// Deletes the message of an answered request, retrying once with a newer pop receipt if the
    /// lease keeper renewed it meanwhile.
    private func deleteAnswered(_ requestId: String, log: Logger) async {
        guard let first = book.entry(requestId)?.delivery else { return }
        do {
            try await first.queue.delete(first.message)
        } catch {
            if let latest = book.entry(requestId)?.delivery, latest.message.popReceipt != first.message.popReceipt,
               (try? await latest.queue.delete(latest.message)) != nil {
                return
            }
            log.warning("cannot delete the answered request's message; its redelivery will only be acknowledged", metadata: ["error": "\(error)"])
        }
    }

    func afterRemoval() {
        updatePendingGauge()
        slotBell.ring()
        finishIfDrained()
    }

    func updatePendingGauge() { metrics.pending.set(to: Double(book.count)) }

    private func telemetry(for published: ResultPublisher.Published) -> TelemetryMessage {
        let body = ResultTelemetry(result: published.envelope, timings: published.timings)
        return TelemetryMessage(
            body: (try? body.jsonData()) ?? Data(),
            properties: [
                "messageType": ResultTelemetry.messageType,
                "requestId": published.result.requestId,
                "outcome": published.result.outcome.rawValue,
            ],
            contentType: "application/json", contentEncoding: "utf-8",
            messageId: published.result.requestId, correlationId: published.result.requestId)
    }
}

extension Logger {
    /// A copy with one more metadata value.
    func with(_ key: String, _ value: String) -> Logger {
        var copy = self
        copy[metadataKey: key] = "\(value)"
        return copy
    }
}
