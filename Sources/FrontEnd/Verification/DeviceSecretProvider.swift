public import Verification

/// Where the front-end finds each device's shared secret: it seals requests with it and checks the
/// device's signed results with it.
public protocol DeviceSecretProvider: Sendable {
    /// The secret shared with `deviceId`, or nil when none is provisioned.
    func secret(forDevice deviceId: String) -> SharedSecret?
}

/// Secrets held in memory: for embedding (the demo provisions them in-process) and tests.
public struct StaticDeviceSecrets: DeviceSecretProvider {
    private let secrets: [String: SharedSecret]
    public init(_ secrets: [String: SharedSecret]) {
        self.secrets = secrets
    }
    public func secret(forDevice deviceId: String) -> SharedSecret? { secrets[deviceId] }
}

/// The secrets `edgefactor secrets` provisions (`<root>/devices/<deviceId>.secret`), re-read on
/// each use so that re-provisioning needs no restart.
extension SecretsStore: DeviceSecretProvider {
    public func secret(forDevice deviceId: String) -> SharedSecret? {
        try? read(Identity(deviceId: deviceId))
    }
}
