public import AsyncHTTPClient
import EdgeFactorSupport
public import Foundation
import NIOCore

/// A client for one storage queue (Azure Queue REST API), against Azure or the built-in service.
///
/// ```swift
/// let queue = QueueClient(connectionString: .development, queueName: "requests")
/// try await queue.create()
/// _ = try await queue.send("hello")
/// for message in try await queue.receive(maxMessages: 16) { try await queue.delete(message) }
/// ```
public final class QueueClient: Sendable {
    /// The queue's name.
    public let queueName: String
    /// How message text is encoded on the wire.
    public let encoding: QueueMessageEncoding
    let transport: StorageTransport
    let path: String

    public init(
        connectionString: StorageConnectionString,
        queueName: String,
        encoding: QueueMessageEncoding = .plainText,
        httpClient: HTTPClient = .shared,
        retry: RetryPolicy = .default
    ) {
        self.queueName = queueName
        self.encoding = encoding
        self.transport = StorageTransport(endpoint: connectionString.queueEndpoint, connection: connectionString, httpClient: httpClient, retry: retry)
        self.path = "/" + PercentEncoding.encode(queueName)
    }

    /// The queue's URL (without credentials).
    public var url: URL { URL(string: transport.url(path: path)) ?? transport.endpoint }

    /// Creates the queue; succeeds if it already exists.
    public func create() async throws {
        do {
            _ = try await transport.send(StorageRequest(method: .PUT, path: path, expected: [201, 204]))
        } catch {
            guard error.code == .queueAlreadyExists else { throw error }
            return
        }
    }

    /// Deletes the queue and all its messages.
    public func delete() async throws {
        _ = try await transport.send(StorageRequest(method: .DELETE, path: path, expected: [204]))
    }

    /// Whether the queue exists.
    public func exists() async throws -> Bool {
        do {
            _ = try await transport.send(StorageRequest(method: .GET, path: path, query: [("comp", "metadata")], expected: [200]))
            return true
        } catch {
            guard error.status == 404 else { throw error }
            return false
        }
    }

    /// The queue's approximate number of messages (expired and invisible ones may be counted).
    public func approximateMessageCount() async throws -> Int {
        let response = try await transport.send(StorageRequest(method: .GET, path: path, query: [("comp", "metadata")], expected: [200]))
        return response.headers.first(name: "x-ms-approximate-messages-count").flatMap { Int($0) } ?? 0
    }

    /// Adds a message.
    /// - Parameters:
    ///   - visibilityTimeout: how long the message stays invisible after sending (0…7 days).
    ///   - timeToLive: how long it lives; `nil` = the service default (7 days); a negative
    ///     duration = never expires.
    /// - Returns: the message as stored, with the pop receipt of the insert.
    @discardableResult
    public func send(_ text: String, visibilityTimeout: Duration = .zero, timeToLive: Duration? = nil) async throws -> QueueMessage {
        var query: [(String, String)] = []
        if visibilityTimeout != .zero { query.append(("visibilitytimeout", String(Self.seconds(visibilityTimeout)))) }
        if let timeToLive { query.append(("messagettl", timeToLive < .zero ? "-1" : String(Self.seconds(timeToLive)))) }
        let wire = encoding.encode(text)
        let response = try await transport.send(StorageRequest(
            method: .POST, path: path + "/messages", query: query,
            headers: [("content-type", "application/xml")], body: Self.messageBody(wire), expected: [201]
        ))
        guard let message = try Self.messages(in: response, encoding: .plainText).first else {
            throw StorageError(status: response.status, code: .invalidResponse, message: "the service answered Put Message without a message.")
        }
        var sent = message
        sent.text = text
        return sent
    }

    /// Takes up to `maxMessages` (1…32) visible messages and hides them for `visibilityTimeout`.
    /// Each has a new pop receipt and a dequeue count one higher. Delete them when done.
    public func receive(maxMessages: Int = 1, visibilityTimeout: Duration = .seconds(30)) async throws -> [QueueMessage] {
        let response = try await transport.send(StorageRequest(
            method: .GET, path: path + "/messages",
            query: [("numofmessages", String(maxMessages)), ("visibilitytimeout", String(Self.seconds(visibilityTimeout)))],
            expected: [200]
        ))
        return try Self.messages(in: response, encoding: encoding)
    }

    /// Returns up to `maxMessages` (1…32) visible messages without hiding them (no pop receipt).
    public func peek(maxMessages: Int = 1) async throws -> [QueueMessage] {
        let response = try await transport.send(StorageRequest(
            method: .GET, path: path + "/messages",
            query: [("peekonly", "true"), ("numofmessages", String(maxMessages))], expected: [200]
        ))
        return try Self.messages(in: response, encoding: encoding)
    }

    /// Changes a received message's visibility and, optionally, its text.
    /// - Returns: the message with its new pop receipt and next-visible time.
    public func update(_ message: QueueMessage, text: String? = nil, visibilityTimeout: Duration) async throws -> QueueMessage {
        var request = StorageRequest(
            method: .PUT, path: path + "/messages/" + PercentEncoding.encode(message.messageId),
            query: [("popreceipt", message.popReceipt), ("visibilitytimeout", String(Self.seconds(visibilityTimeout)))],
            expected: [204]
        )
        if let text {
            request.headers.append(("content-type", "application/xml"))
            request.body = Self.messageBody(encoding.encode(text))
        }
        let response = try await transport.send(request)
        var updated = message
        if let text { updated.text = text }
        updated.popReceipt = response.headers.first(name: "x-ms-popreceipt") ?? ""
        if let next = response.headers.first(name: "x-ms-time-next-visible").flatMap(StorageDate.parseRFC1123) {
            updated.nextVisibleOn = next
        }
        return updated
    }

    /// Deletes a received message (needs its latest pop receipt).
    public func delete(_ message: QueueMessage) async throws {
        _ = try await transport.send(StorageRequest(
            method: .DELETE, path: path + "/messages/" + PercentEncoding.encode(message.messageId),
            query: [("popreceipt", message.popReceipt)], expected: [204]
        ))
    }

    /// Deletes every message in the queue.
    public func clear() async throws {
        _ = try await transport.send(StorageRequest(method: .DELETE, path: path + "/messages", expected: [204]))
    }

    // MARK: Wire helpers

    static func seconds(_ duration: Duration) -> Int64 {
        duration.wholeSecondsRoundedUp
    }

    static func messageBody(_ wireText: String) -> ByteBuffer {
        var writer = StorageXMLWriter()
        writer.open("QueueMessage")
        writer.element("MessageText", wireText)
        writer.close("QueueMessage")
        return ByteBuffer(string: writer.text)
    }

    static func messages(in response: StorageResponse, encoding: QueueMessageEncoding) throws(StorageError) -> [QueueMessage] {
        let root: StorageXMLElement
        do {
            root = try StorageXMLReader.parse(response.body.readableBytesView)
        } catch {
            throw StorageError(status: response.status, code: .invalidResponse, message: "the service's message list is not valid XML (\(error)).")
        }
        var result: [QueueMessage] = []
        for element in root.children("QueueMessage") {
            let distantPast = Date(timeIntervalSince1970: 0)
            result.append(QueueMessage(
                messageId: element.childText("MessageId") ?? "",
                popReceipt: element.childText("PopReceipt") ?? "",
                text: try encoding.decode(element.childText("MessageText") ?? ""),
                dequeueCount: element.childText("DequeueCount").flatMap { Int($0) } ?? 0,
                insertedOn: element.childText("InsertionTime").flatMap(StorageDate.parseRFC1123) ?? distantPast,
                expiresOn: element.childText("ExpirationTime").flatMap(StorageDate.parseRFC1123) ?? distantPast,
                nextVisibleOn: element.childText("TimeNextVisible").flatMap(StorageDate.parseRFC1123) ?? distantPast
            ))
        }
        return result
    }
}
