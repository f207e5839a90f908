import ArgumentParser
import AzureStorage
import Foundation

/// The one reading of every command's `--storage-connection-string` and `--storage-ca-file`.
enum StorageOption {
    /// The option's help, the same on every command that talks to storage.
    static let caFileHelp: ArgumentHelp = "PEM file of a CA to trust for https storage endpoints, besides the system's trust store (the built-in storage's development CA: certs/ca.pem in the hub's data directory). Default: $EDGEFACTOR_STORAGE_CA_FILE."

    /// The option, else `$AZURE_STORAGE_CONNECTION_STRING`, else the built-in storage's development
    /// account; trusts `caFile` (else `$EDGEFACTOR_STORAGE_CA_FILE`) first.
    static func resolve(_ option: String?, caFile: String?) throws -> StorageConnectionString {
        try trust(caFile: caFile)
        guard let text = option ?? ProcessInfo.processInfo.environment["AZURE_STORAGE_CONNECTION_STRING"] else { return .development }
        do { return try StorageConnectionString(text) } catch {
            throw ValidationError("invalid storage connection string: \(error)")
        }
    }

    /// Adds `caFile` (else `$EDGEFACTOR_STORAGE_CA_FILE`) to the CAs this process's storage
    /// clients trust.
    static func trust(caFile: String?) throws {
        guard let path = caFile ?? ProcessInfo.processInfo.environment["EDGEFACTOR_STORAGE_CA_FILE"], !path.isEmpty else { return }
        do { try StorageTrust.add(caFile: path) } catch {
            throw ValidationError("--storage-ca-file: \(error.message)")
        }
    }
}
