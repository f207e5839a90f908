public import AzureStorage
import Foundation
public import IoTHub
public import Verification

/// `edgefactor check frontend`: for every device an account signs in with, the front-end holds
/// its secret, the hub knows it, and the secrets its agent and module hold are the same ones
/// (compared by the fingerprints they report in their twins); storage accepts the account key;
/// the clock agrees with storage's.
public enum FrontEndCheck {
    /// Runs every check; never throws (each failure is a line with its fix).
    public static func run(
        hub: ServiceClient, storage: StorageConnectionString, secrets: any DeviceSecretProvider, devices: [StorageAccessRenewer.Device]
    ) async -> [SystemCheck] {
        var checks: [SystemCheck] = []
        let boxes = Array(Set(devices)).sorted { ($0.deviceId, $0.moduleId ?? "") < ($1.deviceId, $1.moduleId ?? "") }
        checks.append(boxes.isEmpty
            ? .fail("accounts", "no account signs in with any device", fix: "add one with `edgefactor users add NAME --device DEVICE --module MODULE --class CLASS`")
            : .pass("accounts", "\(boxes.count) device\(boxes.count == 1 ? "" : "s") in use: \(boxes.map(\.deviceId).joined(separator: ", "))"))
        for box in boxes {
            checks += await device(box, hub: hub, secrets: secrets)
        }
        let probe = await StorageProbe.container(BlobContainerClient(
            connectionString: storage, containerName: DeviceStorageNames(deviceId: boxes.first?.deviceId ?? "edgefactor-device").responsesContainer))
        let missingContainer = probe.refusal?.code == .containerNotFound
        checks.append(.storage("the account \(storage.accountName)", reachable: probe.reachable, refusal: missingContainer ? nil : probe.refusal?.description,
                               credentials: storage.sharedKey == nil ? "SAS" : "account key"))
        checks.append(.clock(offset: await StorageProbe.clockOffset(storage.blobEndpoint)))
        return checks
    }

    static func device(_ box: StorageAccessRenewer.Device, hub: ServiceClient, secrets: any DeviceSecretProvider) async -> [SystemCheck] {
        let name = "device \(box.deviceId)"
        guard let secret = secrets.secret(forDevice: box.deviceId) else {
            return [.fail(name, "no secret for it here", fix: "create it with `edgefactor secrets new --device \(box.deviceId)` and give the agent the same")]
        }
        let identity: DeviceIdentity
        do { identity = try await hub.getDevice(box.deviceId) } catch {
            return [.fail(name, "the hub does not answer for it: \(error)", fix: error.status == 404
                ? "register it: `edgefactor hub devices add \(box.deviceId)`"
                : "check --hub-connection-string (a policy with registry read and service connect) and --hub-ca-file")]
        }
        let checks: [SystemCheck] = [.pass(name, "secret \(secret.fingerprint), registered, \(identity.connectionState ?? "state unknown")")]
        let agent: [String: JSONValue]
        do { agent = try await hub.getTwin(deviceId: box.deviceId).properties?.reported ?? [:] } catch {
            return checks + [.fail("\(name) secrets", "cannot read its twin: \(error)", fix: "check that the hub's policy may read twins")]
        }
        guard case .object(let held)? = agent["secrets"], case .string(let deviceFingerprint)? = held["device"] else {
            return checks + [.fail("\(name) secrets", "its agent has not reported which secrets it holds", fix: "start the agent (edgefactor agent --device-id \(box.deviceId)) and check again")]
        }
        guard deviceFingerprint == secret.fingerprint else {
            return checks + [.fail("\(name) secrets", "the agent holds device secret \(deviceFingerprint), the front-end \(secret.fingerprint)",
                                   fix: "copy the same devices/\(box.deviceId).secret to both (edgefactor secrets show --reveal / import)")]
        }
        guard let moduleId = box.moduleId else {
            return checks + [.pass("\(name) secrets", "agent and front-end hold the same device secret")]
        }
        let module = (try? await hub.getTwin(deviceId: box.deviceId, moduleId: moduleId).properties?.reported) ?? [:]
        guard case .string(let moduleFingerprint)? = module["secret"] else {
            return checks + [.fail("\(name) secrets", "module \(moduleId) has not reported its secret", fix: "start the module (edgefactor module --device-id \(box.deviceId) --module-id \(moduleId)) and check again")]
        }
        guard case .object(let modules)? = held["modules"], case .string(let agentCopy)? = modules[moduleId], agentCopy == moduleFingerprint else {
            return checks + [.fail("\(name) secrets", "the agent does not hold module \(moduleId)'s secret \(moduleFingerprint)",
                                   fix: "copy the same modules/\(box.deviceId)/\(moduleId).secret to the module and the agent")]
        }
        return checks + [.pass("\(name) secrets", "agent, module \(moduleId) and front-end hold matching secrets")]
    }
}
