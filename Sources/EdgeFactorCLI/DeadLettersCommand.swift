import ArgumentParser
import AzureStorage
import CLISettings
import Foundation
import FrontEnd
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

        /// `--storage-connection-string` and `--storage-ca-file`, as settings.
        var settingFlags: SettingFlags { StorageOption.flags(connectionString: storageConnectionString, caFile: storageCaFile) }

        /// The two queues, through the front-end's `DeadLetterQueue` (the admin page uses it too).
        func queue(_ settings: EdgeFactorSettings) throws -> DeadLetterQueue {
            DeadLetterQueue(account: try StorageOption.resolve(settings), deviceId: deviceId, deadLetterQueue: deadLetterQueue, requestsQueue: requestsQueue)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show dead-lettered requests (up to 32, the most a queue peek returns), oldest first.")
        @OptionGroup var queues: Queues
        @Flag(help: "One JSON object per line: id (to requeue), the agent's record, and the original text.") var json = false
        @OptionGroup var config: ConfigOption

        func run() async throws {
            let settings = try await config.settings(queues.settingFlags)
            guard let (letters, total) = try await queues.queue(settings).list() else {
                if !json { print("no dead-letter queue \(queues.deadLetterQueueName): the agent has not dead-lettered anything") }
                return
            }
            if json {
                for letter in letters { print(try JSONArgument.text(letter, compact: true)) }
                return
            }
            guard !letters.isEmpty else {
                print("no dead-lettered requests in \(queues.deadLetterQueueName)")
                return
            }
            var rows = [["ID", "REASON", "DETAIL", "DELIVERIES", "DEAD-LETTERED"]]
            for line in letters {
                rows.append([
                    line.id, line.reason ?? "(not an agent record)", String((line.detail ?? "").prefix(60)),
                    line.dequeueCount.map(String.init) ?? "-", line.deadLetteredOn ?? "-",
                ])
            }
            TextTable.print(rows)
            if total > letters.count { print("… and about \(total - letters.count) more (a peek shows at most 32)") }
        }
    }

    struct Requeue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put dead-lettered requests back on the requests queue, and remove them from the dead-letter queue.")
        @Argument(help: "Ids from `dead-letters list` (the dead-letter message's id, or the original message's).") var ids: [String] = []
        @Flag(help: "Requeue every dead-lettered request.") var all = false
        @OptionGroup var queues: Queues
        @OptionGroup var config: ConfigOption

        func validate() throws {
            guard all != !ids.isEmpty else { throw ValidationError("name the ids to requeue, or pass --all (not both)") }
        }

        func run() async throws {
            let settings = try await config.settings(queues.settingFlags)
            let result = try await queues.queue(settings).requeue(ids: all ? nil : Set(ids))
            for id in result.notRecords { FileHandle.standardError.write(Data("\(id): not an agent record, left in place\n".utf8)) }
            for letter in result.moved { print("requeued \(letter.id) (\(letter.reason ?? "?")) on \(queues.requestsQueueName)") }
            if !result.missing.isEmpty {
                throw ValidationError("not found in \(queues.deadLetterQueueName): \(result.missing.joined(separator: ", ")) (see `edgefactor dead-letters list`)")
            }
            if result.moved.isEmpty { print("nothing to requeue") }
        }
    }
}
