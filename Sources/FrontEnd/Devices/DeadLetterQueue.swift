public import AzureStorage
import Foundation
import Verification

/// A device agent's dead-letter queue and the requests queue its messages go back to: what
/// `edgefactor dead-letters` and the admin page list and requeue, through the Queue client.
public struct DeadLetterQueue: Sendable {
    /// What a requeue did.
    public struct Requeued: Sendable, Equatable {
        /// The dead letters put back on the requests queue.
        public var moved: [DeadLetter] = []
        /// Chosen ones that are not agent records (no original text): left in place.
        public var notRecords: [String] = []
        /// Ids asked for that are not in the queue.
        public var missing: [String] = []
    }

    /// At most this many are listed (a queue peek returns at most 32).
    static let peekLimit = 32

    let deadLetters: QueueClient
    let requests: QueueClient

    init(deadLetters: QueueClient, requests: QueueClient) {
        self.deadLetters = deadLetters
        self.requests = requests
    }

    /// The queues of `deviceId`'s agent as `DeviceStorageNames` names them, unless named here.
    public init(account: StorageConnectionString, deviceId: String, deadLetterQueue: String? = nil, requestsQueue: String? = nil) {
        let names = DeviceStorageNames(deviceId: deviceId)
        deadLetters = QueueClient(connectionString: account, queueName: deadLetterQueue ?? names.deadLetterQueue)
        requests = QueueClient(connectionString: account, queueName: requestsQueue ?? names.requestsQueue)
    }

    /// Up to ``peekLimit`` dead letters, oldest first, and about how many the queue holds (nil
    /// when the queue does not exist: the agent has dead-lettered nothing).
    public func list() async throws -> (letters: [DeadLetter], total: Int)? {
        guard try await deadLetters.exists() else { return nil }
        let messages = try await deadLetters.peek(maxMessages: Self.peekLimit)
        let total = try await deadLetters.approximateMessageCount()
        return (messages.map(DeadLetter.init), max(total, messages.count))
    }

    /// Puts the dead letters named by `ids` (their own or their original's), or every one when
    /// `ids` is nil, back on the requests queue and removes them from the dead-letter queue.
    ///
    /// Messages are received (hidden for a minute) rather than peeked, so that each is moved
    /// exactly once even if two administrators requeue at the same time; those not chosen are made
    /// visible again at the end. A requeued message is checked by the agent from scratch.
    public func requeue(ids: Set<String>?) async throws -> Requeued {
        var wanted = ids ?? []
        var skipped: [QueueMessage] = []
        var result = Requeued()
        do {
            // Bounded: a queue refilled as fast as it is drained cannot keep this loop going.
            for _ in 0..<64 where ids == nil || !wanted.isEmpty {
                let batch = try await deadLetters.receive(maxMessages: 32, visibilityTimeout: .seconds(60))
                if batch.isEmpty { break }
                for message in batch {
                    let letter = DeadLetter(message)
                    let chosen = ids == nil || letter.isNamed(in: wanted)
                    guard chosen, let text = letter.text else {
                        if chosen { result.notRecords.append(letter.id) }
                        skipped.append(message)
                        continue
                    }
                    _ = try await requests.send(text)
                    try await deadLetters.delete(message)
                    wanted.remove(letter.id)
                    if let original = letter.messageId { wanted.remove(original) }
                    result.moved.append(letter)
                }
            }
        } catch {
            await release(skipped)
            throw error
        }
        await release(skipped)
        result.missing = wanted.subtracting(result.notRecords).sorted()
        return result
    }

    private func release(_ messages: [QueueMessage]) async {
        for message in messages { _ = try? await deadLetters.update(message, visibilityTimeout: .zero) }
    }
}
