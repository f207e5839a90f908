import AzureStorage
import Foundation

/// A received requests-queue message and what the agent learnt when it opened it.
struct QueueMessageLease: LeasedMessage {
    /// The queue it came from (the agent may be draining an old requests queue).
    var queue: QueueClient
    /// The latest state of the message (its pop receipt changes with every visibility update).
    var message: QueueMessage
    /// When the module queued the request (for the "queue" timing), if known.
    var enqueuedAt: Date?
    /// When this agent received it.
    var receivedAt: ContinuousClock.Instant

    var messageId: String { message.messageId }
}
