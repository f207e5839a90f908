import ArgumentParser
import AzureStorage
import CLISettings
import Foundation

/// The one reading of every command's `--storage-connection-string` and `--storage-ca-file`.
enum StorageOption {
    /// The option's help, the same on every command that talks to storage.
    static let caFileHelp: ArgumentHelp = "PEM file of a CA to trust for https storage endpoints, besides the system's trust store (the built-in storage's development CA: certs/ca.pem in the hub's data directory). Default: $EDGEFACTOR_STORAGE_CA_FILE."

    /// The two flags, as settings.
    static func flags(connectionString: String?, caFile: String?) -> SettingFlags {
        [.storageConnectionString: connectionString, .storageCAFile: caFile]
    }

    /// The settings' connection string (the option, else `$AZURE_STORAGE_CONNECTION_STRING`, else
    /// the file's), else the built-in storage's development account; trusts the CA file first.
    static func resolve(_ settings: EdgeFactorSettings) throws -> StorageConnectionString {
        try trust(settings)
        guard let text = settings.storageConnectionString else { return .development }
        do { return try StorageConnectionString(text) } catch {
            throw ValidationError("invalid storage connection string: \(error)")
        }
    }

    /// Adds the settings' CA file (`--storage-ca-file`, else `$EDGEFACTOR_STORAGE_CA_FILE`, else the
    /// file's) to the CAs this process's storage clients trust.
    static func trust(_ settings: EdgeFactorSettings) throws {
        guard let path = settings.storageCAFile else { return }
        do { try StorageTrust.add(caFile: path) } catch {
            throw ValidationError("--storage-ca-file: \(error.message)")
        }
    }
}
