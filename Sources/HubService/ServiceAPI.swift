import EdgeFactorSupport
import Foundation
import HTTPTypes
import Hummingbird
import IoTHub
import Logging
import NIOCore
import Observability
import Synchronization

/// The hub's service REST API (IoT Hub api-version 2021-04-12 subset): direct methods, registry,
/// twins; plus EdgeFactor's telemetry read-out (`/edgefactor/telemetry[/stream]`).
struct ServiceAPI: Sendable {
    let core: HubCore
    let policyName: String
    let policyKeys: [String]
    let restPort: @Sendable () -> Int
    /// Tokens already verified (clients reuse one token for many requests).
    let verifiedTokens = VerifiedTokenCache()

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        // Outside authentication, so that refused requests are counted and logged too.
        router.add(middleware: RequestMetricsMiddleware(core.metrics.requests))
        if core.configuration.accessLog { router.add(middleware: AccessLogMiddleware(AccessLog(logger: core.logger))) }
        router.add(middleware: ServiceAuthMiddleware(api: self))
        router.post("/twins/:deviceId/methods") { request, context in
            try await invokeMethod(request, context, moduleId: nil)
        }
        router.post("/twins/:deviceId/modules/:moduleId/methods") { request, context in
            try await invokeMethod(request, context, moduleId: try module(context))
        }
        router.get("/devices") { request, _ in
            let top = request.uri.queryParameters.get("top", as: Int.self) ?? 1000
            let devices = try await core.registry.devices(limit: min(max(top, 1), 10_000))
            return try json(devices.map(deviceJSON))
        }
        router.put("/devices/:deviceId") { request, context in
            try await putIdentity(request, context, moduleId: nil)
        }
        router.get("/devices/:deviceId") { _, context in
            let deviceId = try device(context)
            guard let identity = try await core.registry.identity(deviceId: deviceId, moduleId: nil) else { throw HubError.deviceNotFound(deviceId) }
            return try json(deviceJSON(identity))
        }
        router.delete("/devices/:deviceId") { request, context in
            try await deleteIdentity(request, context, moduleId: nil)
        }
        router.get("/devices/:deviceId/modules") { _, context in
            let deviceId = try device(context)
            guard try await core.registry.identity(deviceId: deviceId, moduleId: nil) != nil else { throw HubError.deviceNotFound(deviceId) }
            return try json(try await core.registry.modules(deviceId: deviceId).map(moduleJSON))
        }
        router.put("/devices/:deviceId/modules/:moduleId") { request, context in
            try await putIdentity(request, context, moduleId: try module(context))
        }
        router.get("/devices/:deviceId/modules/:moduleId") { _, context in
            let deviceId = try device(context)
            let moduleId = try module(context)
            guard let identity = try await core.registry.identity(deviceId: deviceId, moduleId: moduleId) else {
                throw HubError.moduleNotFound(deviceId, moduleId)
            }
            return try json(moduleJSON(identity))
        }
        router.delete("/devices/:deviceId/modules/:moduleId") { request, context in
            try await deleteIdentity(request, context, moduleId: try module(context))
        }
        for path: RouterPath in ["/twins/:deviceId", "/twins/:deviceId/modules/:moduleId"] {
            router.get(path) { _, context in
                try await twinResponse(context)
            }
            router.patch(path) { request, context in
                try await updateTwin(request, context, replace: false)
            }
            router.put(path) { request, context in
                try await updateTwin(request, context, replace: true)
            }
        }
        router.get("/edgefactor/telemetry") { request, _ in
            let query = request.uri.queryParameters
            let records = try await core.telemetry.messages(
                deviceId: query.get("deviceId"), moduleId: query.get("moduleId"),
                afterId: query.get("after", as: Int64.self), limit: min(max(query.get("limit", as: Int.self) ?? 100, 1), 10_000)
            )
            let body = "[" + records.map(\.jsonLine).joined(separator: ",") + "]"
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/edgefactor/telemetry/stream") { request, _ in
            telemetryStream(request)
        }
        return router
    }

    // MARK: Methods

    private func invokeMethod(_ request: Request, _ context: BasicRequestContext, moduleId: String?) async throws -> Response {
        let deviceId = try device(context)
        let body = try await request.body.collect(upTo: 256 * 1024)
        // Scanned, not parsed into objects: this is the hot path of method calls, and `payload` is
        // passed on byte for byte.
        let bytes = body.readableBytesView
        guard let members = RawJSON.objectMembers(bytes),
              let nameRange = members["methodName"],
              let name = RawJSON.string(Self.slice(bytes, nameRange)), !name.isEmpty
        else {
            throw HubError.badRequest("body must be {\"methodName\": \"...\", \"payload\": ..., \"responseTimeoutInSeconds\": n}")
        }
        guard name.utf8.count <= 100, !name.contains("/") else { throw HubError.badRequest("method name must be 1-100 characters without '/'") }
        let responseTimeout = Self.seconds(members["responseTimeoutInSeconds"].map { Self.slice(bytes, $0) }, default: 30, range: 5...300)
        let connectTimeout = Self.seconds(members["connectTimeoutInSeconds"].map { Self.slice(bytes, $0) }, default: 0, range: 0...300)
        let payload = members["payload"].map { body.getSlice(at: body.readerIndex + $0.lowerBound, length: $0.count) ?? ByteBuffer(string: "null") }
            ?? ByteBuffer(string: "null")
        guard payload.readableBytes <= 128 * 1024 else { throw HubError.tooLarge("method payloads are limited to 128 KiB") }
        let clientId = moduleId.map { "\(deviceId)/\($0)" } ?? deviceId
        // A connected identity exists; only an offline one needs the registry (404001 vs 404103).
        if !core.broker.isConnected(clientId), try await core.registry.identity(deviceId: deviceId, moduleId: moduleId) == nil {
            throw moduleId.map { HubError.moduleNotFound(deviceId, $0) } ?? HubError.deviceNotFound(deviceId)
        }
        let outcome = await core.broker.invokeMethod(
            clientId: clientId, name: name, payload: payload,
            responseTimeout: .seconds(responseTimeout), connectTimeout: .seconds(connectTimeout)
        )
        switch outcome {
        case .offline:
            throw HubError.notOnline(clientId)
        case .timeout:
            throw HubError.timeout(clientId, responseTimeout)
        case .response(let status, let payload):
            var result = ByteBuffer(string: "{\"status\":\(status),\"payload\":")
            if payload.readableBytes == 0 || !RawJSON.isValid(payload.readableBytesView) {
                result.writeString("null")
            } else {
                var payload = payload
                result.writeBuffer(&payload)
            }
            result.writeString("}")
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: result))
        }
    }

    private static func slice(_ bytes: ByteBufferView, _ range: Range<Int>) -> ByteBufferView {
        bytes[(bytes.startIndex + range.lowerBound)..<(bytes.startIndex + range.upperBound)]
    }

    private static func seconds(_ value: ByteBufferView?, default fallback: Int, range: ClosedRange<Int>) -> Int {
        // A JSON `true` counts as 1 (then the minimum), as an NSNumber read it. Clamped as a
        // Double first: 1e300 does not fit an Int.
        guard let value, let seconds = RawJSON.number(value), !seconds.isNaN else { return fallback }
        return Int(min(max(seconds, Double(range.lowerBound)), Double(range.upperBound)))
    }

    // MARK: Registry

    private func putIdentity(_ request: Request, _ context: BasicRequestContext, moduleId: String?) async throws -> Response {
        let deviceId = try device(context)
        let body = try await request.body.collect(upTo: 64 * 1024)
        let object = (try? JSONDecoder().decode([String: JSONValue].self, from: Data(body.readableBytesView))) ?? [:]
        let keys = object["authentication"]?["symmetricKey"]
        func key(_ name: String) -> String? {
            if case .string(let value)? = keys?[name], !value.isEmpty { return value }
            return nil
        }
        if case .string(let type)? = object["authentication"]?["type"], type != "sas" {
            throw HubError.badRequest("only authentication type \"sas\" (symmetric keys) is supported, not \(type)")
        }
        var enabled = true
        if case .string(let status)? = object["status"] { enabled = status.lowercased() != "disabled" }
        let identity = try await core.registry.put(
            deviceId: deviceId, moduleId: moduleId, primaryKey: key("primaryKey"), secondaryKey: key("secondaryKey"),
            enabled: enabled, ifMatch: Self.ifMatch(request)
        )
        if !enabled { core.broker.disconnect(deviceId: deviceId, moduleId: moduleId) }
        return try json(moduleId == nil ? deviceJSON(identity) : moduleJSON(identity))
    }

    private func deleteIdentity(_ request: Request, _ context: BasicRequestContext, moduleId: String?) async throws -> Response {
        let deviceId = try device(context)
        guard try await core.registry.delete(deviceId: deviceId, moduleId: moduleId) else {
            throw moduleId.map { HubError.moduleNotFound(deviceId, $0) } ?? HubError.deviceNotFound(deviceId)
        }
        core.broker.disconnect(deviceId: deviceId, moduleId: moduleId)
        return Response(status: .noContent)
    }

    private static func ifMatch(_ request: Request) -> String? {
        guard var value = request.headers[.ifMatch] else { return nil }
        if value.hasPrefix("W/") { value.removeFirst(2) }
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
        return value
    }

    private func connectionState(_ identity: HubIdentity) -> String {
        core.broker.isConnected(identity.clientId) ? "Connected" : "Disconnected"
    }

    private func deviceJSON(_ identity: HubIdentity) -> [String: JSONValue] {
        [
            "deviceId": .string(identity.deviceId),
            "generationId": .string(identity.generationId),
            "etag": .string(identity.etag),
            "status": .string(identity.enabled ? "enabled" : "disabled"),
            "connectionState": .string(connectionState(identity)),
            "cloudToDeviceMessageCount": .int(0),
            "authentication": authenticationJSON(identity),
            "capabilities": .object(["iotEdge": .bool(false)]),
        ]
    }

    private func moduleJSON(_ identity: HubIdentity) -> [String: JSONValue] {
        [
            "moduleId": .string(identity.moduleId ?? ""),
            "deviceId": .string(identity.deviceId),
            "generationId": .string(identity.generationId),
            "etag": .string(identity.etag),
            "connectionState": .string(connectionState(identity)),
            "cloudToDeviceMessageCount": .int(0),
            "authentication": authenticationJSON(identity),
        ]
    }

    private func authenticationJSON(_ identity: HubIdentity) -> JSONValue {
        .object([
            "type": .string("sas"),
            "symmetricKey": .object(["primaryKey": .string(identity.primaryKey), "secondaryKey": .string(identity.secondaryKey)]),
        ])
    }

    // MARK: Twins

    private func twinJSON(_ twin: TwinState, deviceId: String, moduleId: String?, identity: HubIdentity) -> [String: JSONValue] {
        var object: [String: JSONValue] = [
            "deviceId": .string(deviceId),
            "etag": .string("\(twin.version)"),
            "version": .int(Int64(twin.version)),
            "status": .string(identity.enabled ? "enabled" : "disabled"),
            "connectionState": .string(connectionState(identity)),
            "authenticationType": .string("sas"),
            "tags": .object(twin.tags),
            "properties": .object(["desired": .object(twin.desiredWithVersion), "reported": .object(twin.reportedWithVersion)]),
        ]
        if let moduleId { object["moduleId"] = .string(moduleId) }
        return object
    }

    private func twinResponse(_ context: BasicRequestContext) async throws -> Response {
        let deviceId = try device(context)
        let moduleId = context.parameters.get("moduleId").map { PercentEncoding.decode($0) ?? $0 }
        guard let identity = try await core.registry.identity(deviceId: deviceId, moduleId: moduleId),
              let twin = try await core.registry.twin(deviceId: deviceId, moduleId: moduleId)
        else { throw moduleId.map { HubError.moduleNotFound(deviceId, $0) } ?? HubError.deviceNotFound(deviceId) }
        return try json(twinJSON(twin, deviceId: deviceId, moduleId: moduleId, identity: identity))
    }

    private func updateTwin(_ request: Request, _ context: BasicRequestContext, replace: Bool) async throws -> Response {
        let deviceId = try device(context)
        let moduleId = context.parameters.get("moduleId").map { PercentEncoding.decode($0) ?? $0 }
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(body.readableBytesView)) else {
            throw HubError.badRequest("twin patch must be a JSON object such as {\"properties\":{\"desired\":{...}}}")
        }
        guard let identity = try await core.registry.identity(deviceId: deviceId, moduleId: moduleId) else {
            throw moduleId.map { HubError.moduleNotFound(deviceId, $0) } ?? HubError.deviceNotFound(deviceId)
        }
        if let ifMatch = Self.ifMatch(request), ifMatch != "*",
           let current = try await core.registry.twin(deviceId: deviceId, moduleId: moduleId), ifMatch != "\(current.version)" {
            throw HubError.preconditionFailed("twin etag \(ifMatch) does not match the current \(current.version)")
        }
        var desired: [String: JSONValue]?
        if case .object(let members)? = object["properties"]?["desired"] { desired = members }
        var tags: [String: JSONValue]?
        if case .object(let members)? = object["tags"] { tags = members }
        let twin = try await core.updateTwin(deviceId: deviceId, moduleId: moduleId, desired: desired, tags: tags, replace: replace)
        return try json(twinJSON(twin, deviceId: deviceId, moduleId: moduleId, identity: identity))
    }

    // MARK: Telemetry stream

    private func telemetryStream(_ request: Request) -> Response {
        let query = request.uri.queryParameters
        let deviceId = query.get("deviceId").map { String($0) }
        let moduleId = query.get("moduleId").map { String($0) }
        let after = query.get("after", as: Int64.self) ?? request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int64($0) }
        let backlog = min(max(query.get("backlog", as: Int.self) ?? 0, 0), 10_000)
        let telemetry = core.telemetry
        let body = ResponseBody { writer in
            // Subscribe first, then read the backlog, so nothing falls between the two.
            let live = telemetry.subscribe(deviceId: deviceId, moduleId: moduleId)
            var lastId = after ?? 0
            if after != nil || backlog > 0 {
                let old = try await telemetry.messages(deviceId: deviceId, moduleId: moduleId, afterId: after, limit: after != nil ? 10_000 : backlog)
                for record in old {
                    try await writer.write(Self.event(record))
                    lastId = record.id
                }
            }
            try await writer.write(ByteBuffer(string: ": connected\n\n"))
            // One sequence of stored messages and heartbeats (nil), ended when the hub closes `live`.
            let (events, eventSink) = AsyncStream.makeStream(of: StoredTelemetry?.self)
            // Both feeders are children of this response: they end with it, whichever way it ends.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await record in live { eventSink.yield(record) }
                    eventSink.finish()
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(15))
                        eventSink.yield(nil)
                    }
                }
                defer { group.cancelAll() }
                for await item in events {
                    if let record = item {
                        guard record.id > lastId else { continue }
                        lastId = record.id
                        try await writer.write(Self.event(record))
                    } else {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    }
                }
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: body
        )
    }

    private static func event(_ record: StoredTelemetry) -> ByteBuffer {
        ByteBuffer(string: "id: \(record.id)\nevent: telemetry\ndata: \(record.jsonLine)\n\n")
    }

    // MARK: Helpers

    private func device(_ context: BasicRequestContext) throws -> String {
        let raw = try context.parameters.require("deviceId")
        return PercentEncoding.decode(raw) ?? raw
    }

    private func module(_ context: BasicRequestContext) throws -> String {
        let raw = try context.parameters.require("moduleId")
        return PercentEncoding.decode(raw) ?? raw
    }

    private func json<T: Encodable>(_ value: T) throws -> Response {
        let data = try JSONEncoder.sorted.encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// IoT Hub's error body, readable by the Python and C# SDKs.
    static func errorResponse(_ error: HubError) -> Response {
        let inner: [String: String] = [
            "errorCode": "\(error.code)",
            "trackingId": UUID().uuidString,
            "message": error.message,
            "timestampUtc": ISO8601DateFormatter().string(from: Date()),
        ]
        let innerText = String(decoding: (try? JSONEncoder.sorted.encode(inner)) ?? Data(), as: UTF8.self)
            .replacingOccurrences(of: "\"errorCode\":\"\(error.code)\"", with: "\"errorCode\":\(error.code)")
        let outer = ["Message": innerText, "ExceptionMessage": ""]
        let data = (try? JSONEncoder.sorted.encode(outer)) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let name = HTTPField.Name("iothub-errorcode") { headers[name] = error.name }
        return Response(status: HTTPResponse.Status(code: error.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Checks the shared-access-policy SAS token on every request and turns errors into IoT Hub's format.
struct ServiceAuthMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let api: ServiceAPI

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            try authorize(request)
            return try await next(request, context)
        } catch let error as HubError {
            return ServiceAPI.errorResponse(error)
        } catch let error as HTTPError {
            return ServiceAPI.errorResponse(HubError(status: Int(error.status.code), code: Int(error.status.code) * 1000, name: "ArgumentInvalid", message: "\(error)"))
        } catch {
            api.core.logger.error("service API request failed: \(error)")
            return ServiceAPI.errorResponse(HubError(status: 500, code: 500001, name: "ServerError", message: "internal error; see the hub's log"))
        }
    }

    private func authorize(_ request: Request) throws(HubError) {
        guard let header = request.headers[.authorization] else {
            throw .unauthorized("missing Authorization header; send a SharedAccessSignature signed with the \(api.policyName) policy key")
        }
        if api.verifiedTokens.contains(header, at: Date()) { return }
        guard let token = try? SharedAccessSignature(parsing: header) else {
            throw .unauthorized("Authorization is not a SharedAccessSignature token")
        }
        guard token.keyName == api.policyName else {
            throw .unauthorized("unknown shared access policy \(token.keyName ?? "(none)"); use \(api.policyName)")
        }
        guard api.policyKeys.contains(where: { token.isValid(key: $0) }) else {
            throw .unauthorized(token.expiresOn <= Date() ? "SAS token expired" : "SAS signature does not match the policy key")
        }
        // The token must be for the whole hub: `sr` is the host name (with or without the port).
        let resource = token.resourceURI.lowercased()
        let host = api.core.configuration.hostName.lowercased()
        let allowed = [host, "\(host):\(api.restPort())", "localhost", "localhost:\(api.restPort())", "127.0.0.1", "127.0.0.1:\(api.restPort())"]
        guard allowed.contains(resource) || allowed.contains(resource.trimmingSuffixSlash) else {
            throw .unauthorized("SAS token is for \(token.resourceURI), not this hub (\(api.core.configuration.hostName))")
        }
        api.verifiedTokens.insert(header, expiresOn: token.expiresOn)
    }
}

extension String {
    var trimmingSuffixSlash: String { hasSuffix("/") ? String(dropLast()) : self }
}

/// A small set of recently verified service tokens with their expiry, so that a client reusing its
/// token does not cost an HMAC per request. Bounded; an expired entry never matches.
final class VerifiedTokenCache: Sendable {
    private let entries = Mutex<[String: Date]>([:])

    func contains(_ token: String, at now: Date) -> Bool {
        entries.withLock { entries in
            guard let expiry = entries[token] else { return false }
            return now < expiry
        }
    }

    func insert(_ token: String, expiresOn: Date) {
        entries.withLock { entries in
            if entries.count >= 256 { entries.removeAll() }
            entries[token] = expiresOn
        }
    }
}
