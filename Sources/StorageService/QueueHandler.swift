import AzureStorage
import Foundation
import Hummingbird

/// The Queue service operations (path style: `/{account}/{queue}[/messages[/{id}]]`).
struct QueueHandler: Sendable {
    let core: StorageServiceCore
    static let maximumMessageBytes = 64 * 1024
    static let maximumVisibility: Int64 = 604_800

    /// `comp` values Azure defines on a queue.
    private static let queueComps: Set<String> = ["metadata", "acl"]

    func handle(_ request: StorageHTTPRequest) async throws -> Response {
        let segments = request.segments
        let method = request.method
        if segments.isEmpty || (segments.count == 1 && segments[0].isEmpty) {
            guard request.query["comp"] == "list" else {
                try await core.authenticator.authenticate(request, resource: nil, permission: .list)
                guard let comp = request.query["comp"] else {
                    throw StorageServiceError.notImplemented("\(method) on the queue service root without comp (only ?comp=list)")
                }
                throw StorageServiceError.unsupportedComp(comp, on: "the queue service root", known: ["properties", "stats"])
            }
            guard method == "GET" else { throw StorageServiceError.unsupportedVerb(method, "List Queues", use: "GET") }
            try await core.authorize(request, .listQueues, resource: nil, permission: .list)
            return try await listQueues(request)
        }
        let queue = segments[0]
        try ResourceNames.validateQueueOrContainer(queue, kind: "queue")
        let resource = SASResource(service: .queue, container: queue, blob: nil)
        switch segments.count {
        case 1:
            return try await self.queue(request, name: queue, resource: resource)
        case 2 where segments[1] == "messages":
            try refuseComp(request, on: "/messages")
            return try await messages(request, queue: queue, resource: resource)
        case 3 where segments[1] == "messages":
            try refuseComp(request, on: "a message")
            return try await message(request, queue: queue, messageId: segments[2], resource: resource)
        default:
            throw StorageServiceError(400, .invalidUri, "The path does not name a queue operation: use /{account}/{queue}[/messages[/{id}]].")
        }
    }

    /// Messages take no `comp`: one would name an operation they do not have.
    private func refuseComp(_ request: StorageHTTPRequest, on what: String) throws(StorageServiceError) {
        if let comp = request.query["comp"] {
            throw .invalidQuery("comp", String(comp.prefix(64)), "\(what) has no such operation")
        }
    }

    /// The queue operations, dispatched on `comp` first: `PUT ?comp=acl` must never create a queue.
    private func queue(_ request: StorageHTTPRequest, name queue: String, resource: SASResource) async throws -> Response {
        let method = request.method
        switch request.query["comp"] {
        case nil:
            switch method {
            case "PUT":
                try await core.authorize(request, .createQueue, resource: nil, permission: .create)
                let metadata = request.metadata
                try ResourceNames.validateMetadata(metadata)
                let created = try await core.queues.createQueue(account: request.account, name: queue, metadata: metadata)
                return StorageResponses.make(created ? 201 : 204)
            case "DELETE":
                try await core.authorize(request, .deleteQueue, resource: nil, permission: .delete)
                try await core.queues.deleteQueue(account: request.account, name: queue)
                return StorageResponses.make(204)
            case "GET", "HEAD":
                try await core.authenticator.authenticate(request, resource: resource, permission: .read)
                throw StorageServiceError.invalidQuery("comp", "", "a queue is read with ?comp=metadata (Get Queue Metadata) or ?comp=acl")
            default:
                throw StorageServiceError.unsupportedVerb(method, "a queue", use: "PUT or DELETE")
            }
        case "metadata":
            switch method {
            case "PUT":
                try await core.authorize(request, .setQueueMetadata, resource: nil, permission: .create)
                let metadata = request.metadata
                try ResourceNames.validateMetadata(metadata)
                try await core.queues.setQueueMetadata(account: request.account, name: queue, metadata: metadata)
                return StorageResponses.make(204)
            case "GET", "HEAD":
                try await core.authorize(request, .getQueueMetadata, resource: resource, permission: .read)
                let properties = try await core.queues.queueProperties(account: request.account, name: queue)
                return StorageResponses.make(200, headers: [("x-ms-approximate-messages-count", String(properties.count))] + StorageResponses.metadataHeaders(properties.metadata))
            default:
                throw StorageServiceError.unsupportedVerb(method, "queue metadata", use: "PUT, GET or HEAD")
            }
        case "acl":
            // Stored access policies belong to the account owner: no service SAS reads or sets them.
            switch method {
            case "PUT":
                try await core.authorize(request, .setQueueACL, resource: nil, permission: .write)
                let policies = try await AccessPolicyBody.read(request, service: .queue)
                try await core.policies.setQueuePolicies(account: request.account, name: queue, policies: policies)
                return StorageResponses.make(204)
            case "GET", "HEAD":
                try await core.authorize(request, .getQueueACL, resource: nil, permission: .read)
                let policies = try await core.policies.queuePolicies(account: request.account, name: queue)
                guard method == "GET" else { return StorageResponses.make(200) }
                return StorageResponses.xmlText(200, StoredAccessPolicy.xml(policies))
            default:
                throw StorageServiceError.unsupportedVerb(method, "a queue ACL", use: "PUT, GET or HEAD")
            }
        case let comp?:
            try await core.authenticator.authenticate(request, resource: nil, permission: .write)
            throw StorageServiceError.unsupportedComp(comp, on: "a queue", known: Self.queueComps)
        }
    }

    private func messages(_ request: StorageHTTPRequest, queue: String, resource: SASResource) async throws -> Response {
        switch request.method {
        case "POST":
            try await core.authorize(request, .putMessage, resource: resource, permission: .add)
            let ttl = try request.integer("messagettl", in: -1...Int64.max, default: 604_800) ?? 604_800
            guard ttl != 0 else { throw StorageServiceError.outOfRange("messagettl", "0", "-1 or 1…") }
            let visibility = try request.integer("visibilitytimeout", in: 0...Self.maximumVisibility, default: 0) ?? 0
            if ttl > 0, visibility >= ttl {
                throw StorageServiceError.invalidQuery("visibilitytimeout", String(visibility), "it must be smaller than messagettl (\(ttl))")
            }
            let text = try await messageText(request, required: true) ?? ""
            let stored = try await core.queues.send(account: request.account, queue: queue, text: text, visibilityTimeout: visibility, timeToLive: ttl)
            var writer = StorageXMLWriter()
            writer.open("QueueMessagesList")
            writer.open("QueueMessage")
            writer.element("MessageId", stored.messageId)
            writer.element("InsertionTime", StorageResponses.date(stored.insertedMs))
            writer.element("ExpirationTime", StorageResponses.date(stored.expiresMs))
            writer.element("PopReceipt", stored.popReceipt)
            writer.element("TimeNextVisible", StorageResponses.date(stored.visibleMs))
            writer.close("QueueMessage")
            writer.close("QueueMessagesList")
            return StorageResponses.xml(201, writer)
        case "GET":
            let peek = request.query["peekonly"]?.lowercased() == "true"
            try await core.authorize(request, peek ? .peekMessages : .getMessages, resource: resource, permission: peek ? .read : .process)
            let count = Int(try request.integer("numofmessages", in: 1...32, default: 1) ?? 1)
            let visibility: Int64? = peek ? nil : (try request.integer("visibilitytimeout", in: 1...Self.maximumVisibility, default: 30) ?? 30)
            let found = try await core.queues.receive(account: request.account, queue: queue, count: count, visibilityTimeout: visibility)
            var writer = StorageXMLWriter()
            if found.isEmpty {
                writer.empty("QueueMessagesList")
                return StorageResponses.xml(200, writer)
            }
            writer.open("QueueMessagesList")
            for message in found {
                writer.open("QueueMessage")
                writer.element("MessageId", message.messageId)
                writer.element("InsertionTime", StorageResponses.date(message.insertedMs))
                writer.element("ExpirationTime", StorageResponses.date(message.expiresMs))
                if !peek {
                    writer.element("PopReceipt", message.popReceipt)
                    writer.element("TimeNextVisible", StorageResponses.date(message.visibleMs))
                }
                writer.element("DequeueCount", String(message.dequeueCount))
                writer.element("MessageText", message.text)
                writer.close("QueueMessage")
            }
            writer.close("QueueMessagesList")
            return StorageResponses.xml(200, writer)
        case "DELETE":
            // Clear Messages: no service SAS permission grants it (Azure's queue letters are r, a, u, p).
            try await core.authorize(request, .clearMessages, resource: nil, permission: .delete)
            try await core.queues.clear(account: request.account, queue: queue)
            return StorageResponses.make(204)
        default:
            throw StorageServiceError(405, .unsupportedHttpVerb, "The resource doesn't support \(request.method); use POST, GET or DELETE on /messages.")
        }
    }

    private func message(_ request: StorageHTTPRequest, queue: String, messageId: String, resource: SASResource) async throws -> Response {
        guard let popReceipt = request.query["popreceipt"], !popReceipt.isEmpty else {
            throw StorageServiceError(400, .missingRequiredQueryParameter, "A query parameter that's mandatory for this request is not specified: popreceipt.")
        }
        switch request.method {
        case "DELETE":
            try await core.authorize(request, .deleteMessage, resource: resource, permission: .process)
            try await core.queues.delete(account: request.account, queue: queue, messageId: messageId, popReceipt: popReceipt)
            return StorageResponses.make(204)
        case "PUT":
            try await core.authorize(request, .updateMessage, resource: resource, permission: .update)
            guard let visibility = try request.integer("visibilitytimeout", in: 0...Self.maximumVisibility, default: nil) else {
                throw StorageServiceError(400, .missingRequiredQueryParameter, "A query parameter that's mandatory for this request is not specified: visibilitytimeout.")
            }
            let text = try await messageText(request, required: false)
            let (receipt, visible) = try await core.queues.update(
                account: request.account, queue: queue, messageId: messageId, popReceipt: popReceipt, visibilityTimeout: visibility, text: text
            )
            return StorageResponses.make(204, headers: [("x-ms-popreceipt", receipt), ("x-ms-time-next-visible", StorageResponses.date(visible))])
        default:
            throw StorageServiceError(405, .unsupportedHttpVerb, "The resource doesn't support \(request.method); use PUT or DELETE on a message.")
        }
    }

    /// The `<QueueMessage><MessageText>` of the body; `nil` for an empty optional body.
    private func messageText(_ request: StorageHTTPRequest, required: Bool) async throws -> String? {
        // Escaping can make the XML up to ~6× the text; 1 MiB is plenty for a 64 KiB message.
        let body = try await collectBody(request.request, limit: 1024 * 1024)
        if body.readableBytes == 0 {
            if required { throw StorageServiceError.invalidXML("the body is empty; send <QueueMessage><MessageText>…</MessageText></QueueMessage>") }
            return nil
        }
        let root: StorageXMLElement
        do {
            root = try StorageXMLReader.parse(body.readableBytesView)
        } catch {
            throw StorageServiceError.invalidXML(error.description)
        }
        guard root.name == "QueueMessage", let text = root.childText("MessageText") else {
            throw StorageServiceError.invalidXML("expected <QueueMessage><MessageText>…</MessageText></QueueMessage>")
        }
        guard text.utf8.count <= Self.maximumMessageBytes else {
            throw StorageServiceError(413, .requestBodyTooLarge, "The message is \(text.utf8.count) bytes; the limit is 64 KiB. Store large payloads in a blob and send its name.")
        }
        return text
    }

    private func listQueues(_ request: StorageHTTPRequest) async throws -> Response {
        let listing = try ListingRequest(request, includes: ListingRequest.queueIncludes)
        let (queues, next) = try await core.queues.listQueues(account: request.account, prefix: listing.prefix, marker: listing.marker, limit: listing.limit)
        let includeMetadata = listing.includes.contains("metadata")
        var writer = StorageXMLWriter()
        listing.openEnumeration(&writer)
        writer.open("Queues")
        for (name, metadata) in queues {
            writer.open("Queue")
            writer.element("Name", name)
            if includeMetadata {
                writer.open("Metadata")
                for (key, value) in metadata { writer.element(key, value) }
                writer.close("Metadata")
            }
            writer.close("Queue")
        }
        writer.close("Queues")
        writer.element("NextMarker", next ?? "")
        writer.close("EnumerationResults")
        return StorageResponses.xml(200, writer)
    }
}
