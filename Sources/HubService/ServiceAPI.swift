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

    // MARK: Helpers

    static func ifMatch(_ request: Request) -> String? {
        guard var value = request.headers[.ifMatch] else { return nil }
        if value.hasPrefix("W/") { value.removeFirst(2) }
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
        return value
    }

    func connectionState(_ identity: HubIdentity) -> String {
        core.broker.isConnected(identity.clientId) ? "Connected" : "Disconnected"
    }

    func device(_ context: BasicRequestContext) throws -> String {
        let raw = try context.parameters.require("deviceId")
        return PercentEncoding.decode(raw) ?? raw
    }

    func module(_ context: BasicRequestContext) throws -> String {
        let raw = try context.parameters.require("moduleId")
        return PercentEncoding.decode(raw) ?? raw
    }

    func json<T: Encodable>(_ value: T) throws -> Response {
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