public import Foundation

/// A queue message as the service reports it.
public struct QueueMessage: Sendable, Hashable {
    /// The service-assigned message id (a GUID).
    public var messageId: String
    /// Proof of the latest receive, send or update; needed to delete or update the message.
    /// Empty for peeked messages.
    public var popReceipt: String
    /// The message text, decoded according to the client's ``QueueMessageEncoding``.
    public var text: String
    /// How many times the message has been received (0 for a message just sent).
    public var dequeueCount: Int
    public var insertedOn: Date
    public var expiresOn: Date
    /// When the message becomes visible again to ``QueueClient/receive(maxMessages:visibilityTimeout:)``.
    public var nextVisibleOn: Date

    public init(
        messageId: String, popReceipt: String, text: String, dequeueCount: Int,
        insertedOn: Date, expiresOn: Date, nextVisibleOn: Date
    ) {
        self.messageId = messageId
        self.popReceipt = popReceipt
        self.text = text
        self.dequeueCount = dequeueCount
        self.insertedOn = insertedOn
        self.expiresOn = expiresOn
        self.nextVisibleOn = nextVisibleOn
    }
}

/// How message text travels on the wire.
public enum QueueMessageEncoding: Sendable, Hashable {
    /// The text as is (XML-escaped); the default of the current Python, .NET and Swift SDKs.
    /// Cannot carry characters that XML 1.0 forbids (most control characters).
    case plainText
    /// UTF-8 text as base64, as legacy SDKs and Azure Functions queue triggers expect.
    case base64

    func encode(_ text: String) -> String {
        switch self {
        case .plainText: text
        case .base64: Data(text.utf8).base64EncodedString()
        }
    }

    func decode(_ wire: String) throws(StorageError) -> String {
        switch self {
        case .plainText:
            return wire
        case .base64:
            guard let data = Data(base64Encoded: wire), let text = String(data: data, encoding: .utf8) else {
                throw StorageError(
                    status: 0, code: .messageDecodingFailed,
                    message: "a message is not base64 UTF-8 text; the sender probably used plain text: create this QueueClient with encoding: .plainText."
                )
            }
            return text
        }
    }
}
