import Foundation
import Verification

extension RequestIntake {
    /// Settings sent by a module, with the module that sealed them.
    struct SettingsMessage: Sendable {
        var settings: AgentSettings
        var moduleId: String
    }

    /// Opens `text` as the module's settings if its envelope says it is one (`agent-settings`):
    /// checks the module's HMAC with the secrets the agent holds, and every field. Returns nil for
    /// anything else (requests, and text that is no envelope, which ``open(_:now:)`` judges).
    func openSettings(_ text: String, now: Date = Date()) throws(RequestRejection) -> SettingsMessage? {
        guard text.utf8.count <= Self.maximumMessageSize else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("{"), let envelope = try? SignedEnvelope.decode(Data(trimmed.utf8)),
              envelope.kind == EnvelopeKind.agentSettings.rawValue
        else { return nil }
        if let peeked = try? envelope.peek(AgentSettings.self), let addressee = peeked.deviceId, addressee != deviceId {
            throw RequestRejection(.otherDevice, "settings for device '\(addressee.prefix(128))', this agent is '\(deviceId)'")
        }
        guard let moduleSecret = moduleSecrets[envelope.keyId] else {
            throw RequestRejection(.unknownKey, "settings signed with key '\(envelope.keyId.prefix(128))', which this agent does not hold: provision the module's secret with `edgefactor secrets` and pass it to the agent")
        }
        do {
            let settings = try envelope.open(AgentSettings.self, kind: .agentSettings, secret: moduleSecret)
            try settings.validate(now: now)
            if let addressee = settings.deviceId, addressee != deviceId {
                throw RequestRejection(.otherDevice, "settings for device '\(addressee.prefix(128))', this agent is '\(deviceId)'")
            }
            return SettingsMessage(settings: settings, moduleId: envelope.keyId)
        } catch let rejection as RequestRejection {
            throw rejection
        } catch let error as VerificationError {
            throw RequestRejection(error, context: "settings envelope from module '\(envelope.keyId)'")
        } catch {
            throw RequestRejection(.malformed, "settings envelope from module '\(envelope.keyId)': \(error)")
        }
    }
}
