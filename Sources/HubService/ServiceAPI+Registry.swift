import Foundation
import Hummingbird
import IoTHub

// The identity registry: `/devices/{deviceId}[/modules/{moduleId}]`.
extension ServiceAPI {
    func putIdentity(_ request: Request, _ context: BasicRequestContext, moduleId: String?) async throws -> Response {
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

    func deleteIdentity(_ request: Request, _ context: BasicRequestContext, moduleId: String?) async throws -> Response {
        let deviceId = try device(context)
        guard try await core.registry.delete(deviceId: deviceId, moduleId: moduleId) else {
            throw moduleId.map { HubError.moduleNotFound(deviceId, $0) } ?? HubError.deviceNotFound(deviceId)
        }
        core.broker.disconnect(deviceId: deviceId, moduleId: moduleId)
        return Response(status: .noContent)
    }

    func deviceJSON(_ identity: HubIdentity) -> [String: JSONValue] {
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

    func moduleJSON(_ identity: HubIdentity) -> [String: JSONValue] {
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
}
