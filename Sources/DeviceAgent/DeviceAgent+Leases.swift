import AzureStorage
import EdgeFactorSupport
import Foundation
import IoTHub
import Logging
import Verification
import Vision

/// Keeping admitted messages invisible while their requests are pending, and the journal that
/// releases them at once after a crash.
extension DeviceAgent {
    nonisolated func leaseLoop() async {
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
    func recordLeases() async {
        let entries = leases().map { LeaseJournal.Entry(queue: $0.delivery.queue.queueName, messageId: $0.delivery.messageId, popReceipt: $0.delivery.message.popReceipt) }
        do { try journal.record(entries) } catch {
            logger.debug("cannot save the held messages; after a crash they reappear when their lease lapses", metadata: ["error": "\(error)"])
        }
    }

    /// Makes visible at once the messages a killed predecessor still held.
    func releaseLeftLeases() async {
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

    func leases() -> [(requestId: String, delivery: QueueMessageLease)] {
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
}
