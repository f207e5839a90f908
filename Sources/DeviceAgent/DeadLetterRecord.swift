import Foundation

/// What the agent writes to the dead-letter queue: the original message and why it was moved, so an
/// operator can inspect it (or re-queue it once the cause is fixed).
struct DeadLetterRecord: Codable, Sendable {
    var reason: String
    var detail: String
    var messageId: String
    var dequeueCount: Int
    var insertedOn: Date
    var deadLetteredOn: Date
    /// The message text exactly as read from the requests queue.
    var text: String

    func jsonText() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        // Plain strings, integers and dates always encode.
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
