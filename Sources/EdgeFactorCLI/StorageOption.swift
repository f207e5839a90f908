import ArgumentParser
import AzureStorage
import Foundation

/// The one reading of every command's `--storage-connection-string`.
enum StorageOption {
    /// The option, else `$AZURE_STORAGE_CONNECTION_STRING`, else the built-in storage's development account.
    static func resolve(_ option: String?) throws -> StorageConnectionString {
        guard let text = option ?? ProcessInfo.processInfo.environment["AZURE_STORAGE_CONNECTION_STRING"] else { return .development }
        do { return try StorageConnectionString(text) } catch {
            throw ValidationError("invalid storage connection string: \(error)")
        }
    }
}
