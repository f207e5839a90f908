import EdgeFactorSupport
import Foundation
import Hummingbird
import IoTHub

// Device and module twins: `GET`, `PATCH` and `PUT /twins/{deviceId}[/modules/{moduleId}]`.
extension ServiceAPI {
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

    func twinResponse(_ context: BasicRequestContext) async throws -> Response {
        let deviceId = try device(context)
        let moduleId = context.parameters.get("moduleId").map { PercentEncoding.decode($0) ?? $0 }
        guard let identity = try await core.registry.identity(deviceId: deviceId, moduleId: moduleId),
              let twin = try await core.registry.twin(deviceId: deviceId, moduleId: moduleId)
        else { throw moduleId.map { HubError.moduleNotFound(deviceId, $0) } ?? HubError.deviceNotFound(deviceId) }
        return try json(twinJSON(twin, deviceId: deviceId, moduleId: moduleId, identity: identity))
    }

    func updateTwin(_ request: Request, _ context: BasicRequestContext, replace: Bool) async throws -> Response {
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
}
