public import AzureStorage
package import Foundation
public import Logging
public import ServiceLifecycle
import Verification

/// Keeps every edge box's storage grants fresh: at start and then every ``Settings/interval``, for
/// each device an account signs in with, issues new grants (``DeviceStorageGrants``) and sends them
/// with the `RenewStorageAccess` direct method. The module takes its own; the agent's travels
/// sealed and encrypted with the device's secret. A device that is offline is tried again after
/// ``Settings/retryInterval``; its grants last ``Settings/lifetime``, many intervals.
public struct StorageAccessRenewer: Service {
    /// How often grants are renewed and how long they last.
    public struct Settings: Sendable, Equatable {
        var interval: Duration
        var lifetime: Duration
        var retryInterval: Duration
        var methodTimeout: Duration

        public init(interval: Duration = .seconds(6 * 3600), lifetime: Duration = .seconds(7 * 86400), retryInterval: Duration = .seconds(300), methodTimeout: Duration = .seconds(30)) {
            self.interval = interval
            self.lifetime = lifetime
            self.retryInterval = retryInterval
            self.methodTimeout = methodTimeout
        }
    }

    /// One edge box: the device and the module that answers its direct methods.
    public struct Device: Sendable, Hashable {
        var deviceId: String
        var moduleId: String?
        package init(deviceId: String, moduleId: String?) {
            self.deviceId = deviceId
            self.moduleId = moduleId
        }
    }

    let backend: any VerificationBackend
    let account: StorageConnectionString
    let secrets: any DeviceSecretProvider
    let devices: @Sendable () async throws -> [Device]
    let settings: Settings
    let logger: Logger

    /// - Parameters:
    ///   - account: the storage account, with its key (grants are signed with it).
    ///   - devices: the boxes to renew, read again each round (accounts come and go).
    public init(
        backend: any VerificationBackend, account: StorageConnectionString, secrets: any DeviceSecretProvider,
        devices: @escaping @Sendable () async throws -> [Device], settings: Settings = Settings(), logger: Logger
    ) {
        self.backend = backend
        self.account = account
        self.secrets = secrets
        self.devices = devices
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            // A moment after start, not at once: the edge boxes' modules may be starting too. Not a
            // whole interval either: a front-end restarted often must still renew.
            var wait = min(settings.interval, settings.retryInterval, .seconds(60))
            while !Task.isCancelled {
                do { try await Task.sleep(for: wait) } catch { return }
                let failures = await renewAll()
                wait = failures == 0 ? settings.interval : min(settings.retryInterval, settings.interval)
            }
        }
    }

    /// Renews every device's grants once; returns how many devices could not be renewed.
    @discardableResult
    func renewAll() async -> Int {
        let boxes: [Device]
        do { boxes = try await devices() } catch {
            logger.error("cannot list the devices whose storage grants to renew", metadata: ["error": "\(error)"])
            return 1
        }
        var failures = 0
        for device in Set(boxes).sorted(by: { ($0.deviceId, $0.moduleId ?? "") < ($1.deviceId, $1.moduleId ?? "") }) {
            do {
                let until = try await renew(device)
                logger.info("storage grants renewed", metadata: ["device": "\(device.deviceId)", "until": "\(until.formatted(.iso8601))"])
            } catch {
                failures += 1
                logger.warning("cannot renew the device's storage grants; retrying later", metadata: ["device": "\(device.deviceId)", "error": "\(error)"])
            }
        }
        return failures
    }

    /// Issues and sends `device`'s new grants; returns when they end.
    /// - Throws: ``StorageAccessRenewalError`` saying what failed.
    package func renew(_ device: Device, now: Date = Date()) async throws(StorageAccessRenewalError) -> Date {
        guard let secret = secrets.secret(forDevice: device.deviceId) else {
            throw StorageAccessRenewalError("no secret provisioned for device \(device.deviceId)")
        }
        let policy: String
        do { policy = try await DeviceStorageGrants.prepare(for: device.deviceId, account: account) } catch {
            throw StorageAccessRenewalError("cannot prepare the device's queues, container and grant policy: \(error)")
        }
        let payload: Data
        let expiresOn: Date
        do {
            let grants = try DeviceStorageGrants.issue(for: device.deviceId, account: account, lifetime: settings.lifetime, policy: policy, now: now)
            let renewal = try StorageAccessRenewal.make(
                grantJSON: try grants.agent.jsonData(), deviceId: device.deviceId, moduleId: device.moduleId, secret: secret, now: now)
            let envelope = try SignedEnvelope.seal(renewal, kind: .storageAccess, keyId: device.deviceId, secret: secret)
            let moduleGrant = String(decoding: try grants.module.jsonData(), as: UTF8.self)
            payload = try SealedMethodPayload(correlationId: renewal.requestId, request: envelope, moduleGrant: moduleGrant).jsonData()
            expiresOn = grants.agent.expiresOn
        } catch {
            throw StorageAccessRenewalError("cannot issue the grants: \(error)")
        }
        switch await DirectMethodCall.invoke(
            StorageAccessRenewal.method, on: backend, deviceId: device.deviceId, moduleId: device.moduleId, payload: payload, timeout: settings.methodTimeout
        ) {
        case .queued: return expiresOn
        case .failed(_, let why): throw StorageAccessRenewalError(why)
        }
    }
}

/// A device's storage grants could not be renewed.
package struct StorageAccessRenewalError: Error, CustomStringConvertible, Sendable {
    package var description: String
    init(_ description: String) { self.description = description }
}
