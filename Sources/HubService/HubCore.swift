import Foundation
import IoTHub
import Logging
import MQTT
import NIOCore

/// The hub's state and rules shared by the MQTT listeners and the REST API.
final class HubCore: Sendable {
    enum ConnectDecision: Sendable {
        case accepted(identity: HubIdentity, tokenExpiry: Double, subscriptions: Set<String>)
        case refused(MQTTConnectReturnCode, reason: String)
    }

    let configuration: HubConfiguration
    let registry: IdentityRegistry
    let broker: HubBroker
    let telemetry: TelemetryStore
    let metrics: HubMetrics
    let logger: Logger

    init(configuration: HubConfiguration, registry: IdentityRegistry, broker: HubBroker, telemetry: TelemetryStore, metrics: HubMetrics) {
        self.configuration = configuration
        self.registry = registry
        self.broker = broker
        self.telemetry = telemetry
        self.metrics = metrics
        self.logger = configuration.logger
    }

    /// Checks a CONNECT: client id, user name and SAS token against the registry (and counts
    /// the result in `connects_total`).
    func authenticate(_ connect: MQTTConnect) async -> ConnectDecision {
        let decision = await decide(connect)
        metrics.connect(decision)
        return decision
    }

    private func decide(_ connect: MQTTConnect) async -> ConnectDecision {
        let parts = connect.clientId.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, !first.isEmpty, parts.count <= 2, parts.count == 1 || !parts[1].isEmpty else {
            return .refused(.identifierRejected, reason: "client id must be deviceId or deviceId/moduleId")
        }
        let deviceId = String(first)
        let moduleId = parts.count == 2 ? String(parts[1]) : nil
        guard let username = connect.username, Self.usernameMatches(username, deviceId: deviceId, moduleId: moduleId) else {
            return .refused(.badUsernameOrPassword, reason: "user name must be {HostName}/{deviceId}[/{moduleId}]/?...")
        }
        guard let password = connect.password,
              let text = String(validating: password, as: UTF8.self),
              let token = try? SharedAccessSignature(parsing: text)
        else {
            return .refused(.badUsernameOrPassword, reason: "password is not a SAS token")
        }
        let identity: HubIdentity?
        do {
            identity = try await registry.identity(deviceId: deviceId, moduleId: moduleId)
        } catch {
            logger.error("registry unavailable: \(error)")
            return .refused(.serverUnavailable, reason: "registry unavailable")
        }
        guard let identity else { return .refused(.notAuthorized, reason: "identity \(connect.clientId) is not registered") }
        guard identity.enabled else { return .refused(.notAuthorized, reason: "identity \(connect.clientId) is disabled") }
        let now = Date()
        guard token.keyName == nil,
              token.isValid(key: identity.primaryKey, now: now) || token.isValid(key: identity.secondaryKey, now: now)
        else {
            return .refused(.badUsernameOrPassword, reason: token.expiresOn <= now ? "SAS token expired" : "SAS signature does not match the identity's keys")
        }
        let resource = token.resourceURI
        let host = resource.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        guard token.covers(host + identity.resourcePath) else {
            return .refused(.notAuthorized, reason: "SAS token is for \(resource), not \(identity.resourcePath)")
        }
        do {
            if connect.cleanSession {
                try await registry.clearSubscriptions(clientId: identity.clientId)
                return .accepted(identity: identity, tokenExpiry: Double(token.expiry), subscriptions: [])
            }
            let subscriptions = try await registry.subscriptions(clientId: identity.clientId)
            return .accepted(identity: identity, tokenExpiry: Double(token.expiry), subscriptions: subscriptions)
        } catch {
            logger.error("cannot load the session: \(error)")
            return .refused(.serverUnavailable, reason: "session store unavailable")
        }
    }

    /// `{host}/{deviceId}/` or `{host}/{deviceId}/{moduleId}/`, optionally followed by `?query`
    /// (the trailing slash is optional). The host is not checked: the signature is.
    static func usernameMatches(_ username: String, deviceId: String, moduleId: String?) -> Bool {
        guard let slash = username.firstIndex(of: "/") else { return false }
        var rest = username[username.index(after: slash)...]
        if let question = rest.firstIndex(of: "?") { rest = rest[..<question] }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        let expected = moduleId.map { "\(deviceId)/\($0)" } ?? deviceId
        return rest == expected
    }

    /// Topic filters an identity may subscribe to.
    func maySubscribe(_ filter: String, identity: HubIdentity) -> Bool {
        switch filter {
        case IoTHubTopic.methodsSubscription, IoTHubTopic.twinResponseSubscription, IoTHubTopic.desiredPatchSubscription:
            return true
        default:
            if let module = identity.moduleId {
                return filter == "devices/\(identity.deviceId)/modules/\(module)/inputs/#"
            }
            return filter == "devices/\(identity.deviceId)/messages/devicebound/#"
        }
    }

    /// The twin GET body: `{"desired":{...,"$version":N},"reported":{...,"$version":M}}`.
    func twinBody(_ identity: HubIdentity) async throws -> Data {
        metrics.twinReadsReceived.increment()
        guard let twin = try await registry.twin(deviceId: identity.deviceId, moduleId: identity.moduleId) else {
            throw HubError.deviceNotFound(identity.clientId)
        }
        let body: [String: JSONValue] = ["desired": .object(twin.desiredWithVersion), "reported": .object(twin.reportedWithVersion)]
        return try JSONEncoder().encode(body)
    }

    /// Applies a desired/tags patch from the service API and pushes the desired change to the client.
    func updateTwin(deviceId: String, moduleId: String?, desired: [String: JSONValue]?, tags: [String: JSONValue]?, replace: Bool) async throws -> TwinState {
        let (twin, desiredChanged) = try await registry.patchDesired(
            deviceId: deviceId, moduleId: moduleId, desired: desired, tags: tags, replace: replace
        )
        if desiredChanged, let desired {
            var patch = replace ? twin.desired : desired
            patch["$version"] = .int(Int64(twin.desiredVersion))
            if let data = try? JSONEncoder().encode(patch) {
                let clientId = moduleId.map { "\(deviceId)/\($0)" } ?? deviceId
                broker.pushDesired(clientId: clientId, version: twin.desiredVersion, patch: ByteBuffer(bytes: data))
            }
        }
        return twin
    }
}
