import AzureStorage
import Foundation

/// A dead-letter queue message as the commands show it: the queue's own id and times, and the
/// fields of the agent's record when the text is one.
struct DeadLetterLine: Encodable {
    var id: String
    var insertedOn: String
    var reason: String?
    var detail: String?
    var messageId: String?
    var dequeueCount: Int?
    var deadLetteredOn: String?
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
}
