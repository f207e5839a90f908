public import Foundation
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

/// Secrets read from files `<directory>/<deviceId>.key` (base64 text, as `edgefactor secrets`
/// writes them), re-read on each use so that re-provisioning needs no restart.
public struct DeviceSecretDirectory: DeviceSecretProvider {
    public let directory: URL
    public init(directory: URL) {
        self.directory = directory
    }
    public func secret(forDevice deviceId: String) -> SharedSecret? {
        // Device ids may hold characters that are not safe in a path; refuse those outright.
        guard !deviceId.contains("/"), deviceId != ".", deviceId != ".." else { return nil }
        return try? SharedSecret(contentsOf: directory.appendingPathComponent("\(deviceId).key"))
    }
}
