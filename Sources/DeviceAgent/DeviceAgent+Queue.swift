import AzureStorage
import EdgeFactorSupport
import Foundation
import IoTHub
import Logging
import Verification
import Vision

/// Taking requests from the queue: polling, admission, rejection, dead letters and releases.
extension DeviceAgent {
    var freeSlots: Int { stopping ? 0 : book.freeSlots }
    private var isStopping: Bool { stopping }

    private func setPollerRunning(_ running: Bool) async {
        pollerRunning = running
        if !running { pollerStopped.ring() }
    }

    nonisolated func receiveLoop() async {
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
            // Fewer than asked for: the queue held no more at that moment.
            let drained = messages.count < min(32, free)
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
                // Looking again at once would find the queue empty: on Azure each receive is a
                // billed transaction, and here it takes the cores the request just received needs
                // for its first frame. The module's ring, or the shortest interval, says when.
                if drained { await pollBell.wait(upTo: idleWait) }
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
    func accept(_ message: QueueMessage, from source: QueueClient, receivedAt: ContinuousClock.Instant) async -> Bool {
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
    func deliveries(of message: QueueMessage, from source: QueueClient) -> Int {
        guard source.queueName != ownRequestsQueue || sharedQueues.contains(source.queueName) else { return message.dequeueCount }
        if ownDeliveries.count > 4096 { ownDeliveries.removeAll(keepingCapacity: true) }
        ownDeliveries[message.messageId, default: 0] += 1
        let counted = ownDeliveries[message.messageId] ?? 1
        return message.dequeueCount > configuration.maxAttempts * 100 ? message.dequeueCount : counted
    }

    /// Puts another device's message back as it was, visible at once for its own agent.
    func leave(_ message: QueueMessage, from source: QueueClient, _ rejection: RequestRejection) async {
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
    func admit(_ accepted: RequestIntake.Accepted, message: QueueMessage, from source: QueueClient, receivedAt: ContinuousClock.Instant) async {
        let log = logger.with("messageId", message.messageId)
        let request = accepted.request
        let lease = QueueMessageLease(queue: source, message: message, enqueuedAt: accepted.enqueuedAt, receivedAt: receivedAt)
        // Frames started from now on count for this request once it is admitted (the book matches
        // frames begun after `receivedAt`): start one while the checks below run.
        requestsBeingAdmitted += 1
        defer { requestsBeingAdmitted -= 1 }
        cameraBell.ring()
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
}
