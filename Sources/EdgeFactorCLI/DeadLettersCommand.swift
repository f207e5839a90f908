import ArgumentParser
import AzureStorage
import Foundation
import Verification

/// `edgefactor dead-letters list|requeue`: the requests the device agent gave up on, with why, and
/// putting them back on the requests queue once the cause is fixed.
struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "Look at the requests the device agent moved to its dead-letter queue, and requeue them.",
        discussion: """
            The agent moves a queue message there after --max-attempts deliveries, and at once when it \
            can never succeed (bad signature, unknown key, malformed, wrong device), as \
            {"reason","detail","messageId","dequeueCount","insertedOn","deadLetteredOn","text"}. A \
            requeued message is checked again from scratch: one whose sealed request has expired is \
            then dropped as expired, and one with a bad signature comes back here.
            """,
        subcommands: [List.self, Requeue.self]
    )

    /// Where the queues are: the same storage and queue names as the agent (by default the device's
    /// own, as `DeviceStorageNames` names them).
    struct Queues: ParsableArguments {
        @Option(help: "Storage connection string. Default: $AZURE_STORAGE_CONNECTION_STRING, else the built-in storage (UseDevelopmentStorage=true).")
        var storageConnectionString: String?

        @Option(help: StorageOption.caFileHelp)
        var storageCaFile: String?

        @Option(help: "The device whose agent dead-lettered the requests (its queues are named after it).")
        var deviceId = "edgefactor-device"

        @Option(help: "The agent's dead-letter queue (default: the device's own, requests-DEVICE-poison).")
        var deadLetterQueue: String?

        @Option(help: "The requests queue to put requeued messages on (default: the device's own, requests-DEVICE).")
        var requestsQueue: String?

        /// The dead-letter queue's name: the option, else the device's own.
        var deadLetterQueueName: String { deadLetterQueue ?? DeviceStorageNames(deviceId: deviceId).deadLetterQueue }

        /// The requests queue's name: the option, else the device's own.
        var requestsQueueName: String { requestsQueue ?? DeviceStorageNames(deviceId: deviceId).requestsQueue }

        func storage() throws -> StorageConnectionString { try StorageOption.resolve(storageConnectionString, caFile: storageCaFile) }

        func deadLetters() throws -> QueueClient { QueueClient(connectionString: try storage(), queueName: deadLetterQueueName) }
        func requests() throws -> QueueClient { QueueClient(connectionString: try storage(), queueName: requestsQueueName) }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show dead-lettered requests (up to 32, the most a queue peek returns), oldest first.")
        @OptionGroup var queues: Queues
        @Flag(help: "One JSON object per line: id (to requeue), the agent's record, and the original text.") var json = false

        func run() async throws {
            let client = try queues.deadLetters()
            guard try await client.exists() else {
                if !json { print("no dead-letter queue \(queues.deadLetterQueueName): the agent has not dead-lettered anything") }
                return
            }
            let messages = try await client.peek(maxMessages: 32)
            let total = try await client.approximateMessageCount()
            if json {
                for message in messages { print(try JSONArgument.text(DeadLetterLine(message), compact: true)) }
                return
            }
            guard !messages.isEmpty else {
                print("no dead-lettered requests in \(queues.deadLetterQueueName)")
                return
            }
            var rows = [["ID", "REASON", "DETAIL", "DELIVERIES", "DEAD-LETTERED"]]
            for message in messages {
                let line = DeadLetterLine(message)
                rows.append([
                    line.id, line.reason ?? "(not an agent record)", String((line.detail ?? "").prefix(60)),
                    line.dequeueCount.map(String.init) ?? "-", line.deadLetteredOn ?? "-",
                ])
            }
            TextTable.print(rows)
            if total > messages.count { print("… and about \(total - messages.count) more (a peek shows at most 32)") }
        }
    }

    struct Requeue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put dead-lettered requests back on the requests queue, and remove them from the dead-letter queue.")
        @Argument(help: "Ids from `dead-letters list` (the dead-letter message's id, or the original message's).") var ids: [String] = []
        @Flag(help: "Requeue every dead-lettered request.") var all = false
        @OptionGroup var queues: Queues

        func validate() throws {
            guard all != !ids.isEmpty else { throw ValidationError("name the ids to requeue, or pass --all (not both)") }
        }

        func run() async throws {
            let deadLetters = try queues.deadLetters(), requests = try queues.requests()
            var wanted = Set(ids)
            var skipped: [QueueMessage] = []
            var requeued = 0
            // Received (hidden for a minute) rather than peeked, so that each is moved exactly once;
            // the ones not chosen are made visible again at the end.
            while all || !wanted.isEmpty {
                let batch = try await deadLetters.receive(maxMessages: 32, visibilityTimeout: .seconds(60))
                if batch.isEmpty { break }
                for message in batch {
                    let line = DeadLetterLine(message)
                    // The whole batch is gone through: a message not chosen must be released below.
                    let chosen = all || wanted.contains(line.id) || line.messageId.map(wanted.contains) == true
                    guard chosen, let text = line.text else {
                        if chosen { FileHandle.standardError.write(Data("\(line.id): not an agent record, left in place\n".utf8)) }
                        skipped.append(message)
                        continue
                    }
                    _ = try await requests.send(text)
                    try await deadLetters.delete(message)
                    wanted.remove(line.id)
                    if let original = line.messageId { wanted.remove(original) }
                    requeued += 1
                    print("requeued \(line.id) (\(line.reason ?? "?")) on \(queues.requestsQueueName)")
                }
            }
            for message in skipped { _ = try? await deadLetters.update(message, visibilityTimeout: .zero) }
            if !wanted.isEmpty {
                throw ValidationError("not found in \(queues.deadLetterQueueName): \(wanted.sorted().joined(separator: ", ")) (see `edgefactor dead-letters list`)")
            }
            if requeued == 0 { print("nothing to requeue") }
        }
    }
}
