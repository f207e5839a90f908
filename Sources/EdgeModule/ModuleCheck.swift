import AzureStorage
import Foundation
import IoTHub
public import Verification

/// `edgefactor check module`: the hub accepts the module and serves its twin; storage takes
/// requests on the device's queue with the credentials in use; the clock agrees with storage's.
public enum ModuleCheck {
    /// Runs every check; never throws (each failure is a line with its fix).
    public static func run(_ configuration: EdgeModuleConfiguration, timeout: Duration = .seconds(10)) async -> [SystemCheck] {
        var checks: [SystemCheck] = []
        let identity: (deviceId: String, moduleId: String)
        do { identity = try ModuleConnection.identity(configuration.hub) } catch {
            return [.fail("identity", "\(error)", fix: "pass the module's connection string, or run under IoT Edge with --edge")]
        }
        let settings = configuration.settings.resolved(forDevice: identity.deviceId)
        checks.append(await storage(configuration.storage, queue: settings.requestsQueue))
        checks.append(.clock(offset: await StorageProbe.clockOffset(configuration.storage.queueEndpoint)))
        checks.append(await hub(configuration, identity: identity, timeout: timeout))
        return checks
    }

    static func storage(_ access: StorageAccess, queue name: String) async -> SystemCheck {
        if let expiry = access.expiresOn, expiry <= Date() {
            return .fail("storage", "the storage grant ended \(StorageDate.iso8601(expiry))", fix: "issue a new one with `edgefactor secrets grant` where the account key is, and copy it to this box")
        }
        let connection: StorageConnectionString
        do { connection = try access.queue(name) } catch {
            return .fail("storage", error.message, fix: "issue the module's grant with `edgefactor secrets grant`")
        }
        let finding = await StorageProbe.queue(QueueClient(connectionString: connection, queueName: name), addOnly: !access.createsResources)
        return .storage("queue \(name)", reachable: finding.reachable, refusal: finding.refusal?.description, credentials: access.credentials)
    }

    static func hub(_ configuration: EdgeModuleConfiguration, identity: (deviceId: String, moduleId: String), timeout: Duration) async -> SystemCheck {
        let client: ModuleClient
        do {
            switch configuration.hub {
            case .connectionString(let connection, let options): client = ModuleClient(connectionString: connection, options: options)
            case .edgeEnvironment(let environment): client = try await ModuleClient.fromEdgeEnvironment(environment, options: configuration.edgeOptions)
            }
        } catch {
            return .fail("hub", "\(error)", fix: "check the IoT Edge environment, or pass the module's connection string")
        }
        let outcome = await TimedAttempt.run(limit: timeout) {
            try await client.connect()
            _ = try await client.getTwin()
        }
        await client.close()
        let name = "\(identity.deviceId)/\(identity.moduleId)"
        switch outcome {
        case .succeeded: return .pass("hub", "the hub accepts module \(name) and serves its twin")
        case .failed(let error): return .fail("hub", "module \(name): \(error)", fix: "check the module's connection string (edgefactor hub connection-string DEVICE MODULE) and --hub-ca-file")
        case .timedOut: return .fail("hub", "no answer for module \(name) within \(timeout)", fix: "check that the hub runs and that this box reaches its MQTT port")
        }
    }
}
