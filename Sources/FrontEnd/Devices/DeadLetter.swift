import AzureStorage
import Foundation

/// A message of a device agent's dead-letter queue: the queue's own id and time, and the fields
/// of the agent's record (`{"reason","detail","messageId","dequeueCount","insertedOn",
/// "deadLetteredOn","text"}`) when the text is one.
///
/// Encoded as `edgefactor dead-letters list --json` prints it.
public struct DeadLetter: Encodable, Sendable, Equatable {
    /// The dead-letter message's id (what requeue takes).
    public var id: String
    /// When it reached the dead-letter queue (ISO 8601).
    var insertedOn: String
    /// Why the agent gave up (`bad-signature`, `malformed`, `too-many-deliveries`, ...).
    public var reason: String?
    public var detail: String?
    /// The original request message's id.
    var messageId: String?
    /// How often the original was delivered.
    public var dequeueCount: Int?
    public var deadLetteredOn: String?
    /// The original message's text, which requeue puts back (nil: not an agent record, never requeued).
    var text: String?

    init(_ message: QueueMessage) {
        id = message.messageId
        insertedOn = message.insertedOn.formatted(.iso8601)
        let record = (try? JSONSerialization.jsonObject(with: Data(message.text.utf8))) as? [String: Any]
        reason = record?["reason"] as? String
        detail = record?["detail"] as? String
        messageId = record?["messageId"] as? String
        dequeueCount = (record?["dequeueCount"] as? NSNumber)?.intValue
        deadLetteredOn = record?["deadLetteredOn"] as? String
        text = reason == nil ? nil : record?["text"] as? String
    }

    /// Whether `wanted` names it, by its own id or its original message's.
    func isNamed(in wanted: Set<String>) -> Bool {
        wanted.contains(id) || messageId.map(wanted.contains) == true
    }
}
