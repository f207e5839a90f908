public import Foundation
import PrivateFiles
import Synchronization

/// A ``StorageAccess`` that a renewed grant can replace while the application runs, saved to a
/// private file first so that a restart resumes with the newest grant.
public final class RenewableStorageAccess: Sendable {
    private let state: Mutex<StorageAccess>
    /// Where a renewed grant is saved (0600, replaced atomically); nil keeps it in memory only.
    public let grantFile: URL?

    public init(_ access: StorageAccess, grantFile: URL? = nil) {
        state = Mutex(access)
        self.grantFile = grantFile
    }

    /// Reads the grant saved at `file`.
    /// - Throws: ``StorageConfigurationError`` saying why the file cannot be used.
    public static func load(grantFile file: URL) throws(StorageConfigurationError) -> RenewableStorageAccess {
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw StorageConfigurationError("cannot read the storage grant \(file.path) (\(error.localizedDescription)); issue one with `edgefactor storage grant` and check that this process's user may read it.")
        }
        return RenewableStorageAccess(.grant(try StorageGrant.decode(data)), grantFile: file)
    }

    /// The access in force.
    public var current: StorageAccess { state.withLock { $0 } }

    /// Replaces the grant in force with `grant`, after checking that it is for the same account,
    /// that it lasts longer than the one it replaces, and that it covers every resource in
    /// `needed`; saves it first when there is a grant file. The endpoints in use are kept: the
    /// issuer may reach the account by another address (a front-end on the storage's own machine
    /// says 127.0.0.1), and a SAS is bound to the account and resource, not to the host.
    /// - Throws: ``StorageConfigurationError`` saying why the grant was refused (nothing changes).
    public func renew(with grant: StorageGrant, covering needed: (queues: [String], containers: [String])) throws(StorageConfigurationError) {
        try grant.validate()
        let current = self.current
        guard case .grant(let old) = current else {
            throw StorageConfigurationError("this process uses the account's connection string, not a grant: a renewed grant is not needed and was ignored.")
        }
        guard grant.accountName == old.accountName else {
            throw StorageConfigurationError("the renewed grant is for account \(grant.accountName), not the one in use (\(old.accountName)); moving to another account needs a new grant given by hand.")
        }
        var grant = grant
        grant.blobEndpoint = old.blobEndpoint
        grant.queueEndpoint = old.queueEndpoint
        guard grant.expiresOn > old.expiresOn else {
            throw StorageConfigurationError("the renewed grant ends \(StorageDate.iso8601(grant.expiresOn)), not later than the one in use (\(StorageDate.iso8601(old.expiresOn))): a replayed or late renewal.")
        }
        let renewed = StorageAccess.grant(grant)
        for queue in needed.queues where !renewed.covers(queue: queue) {
            _ = try renewed.queue(queue)
        }
        for container in needed.containers where !renewed.covers(container: container) {
            _ = try renewed.container(container)
        }
        if let grantFile {
            do {
                try PrivateFiles.write(try grant.jsonData(), to: grantFile.path)
            } catch {
                throw StorageConfigurationError("cannot save the renewed storage grant to \(grantFile.path) (\(error)); kept the one in use.")
            }
        }
        state.withLock { $0 = renewed }
    }
}
