import ArgumentParser
import Foundation
import HubService

/// Finds the built-in hub running on this machine through the `hub.json` it writes into its data
/// directory, for the commands that talk to it without a connection string (the hub's admin verbs,
/// the front-end, the module and the agent).
enum LocalHub {
    /// Where a hub started without `--data-dir` keeps its data, then the deployment guide's
    /// folder: `<home>/hub` (home: EDGEFACTOR_HOME, else `./var`), then `/var/lib/edgefactor/hub`.
    static func searchedDirectories(home: String?) -> [URL] {
        var directories = [HubConfiguration.defaultDataDirectory(home: home).standardizedFileURL]
        let deployed = URL(fileURLWithPath: "/var/lib/edgefactor/hub", isDirectory: true)
        if !directories.contains(deployed) { directories.append(deployed) }
        return directories
    }

    /// The hub described by `dataDir`'s hub.json, else by the first of
    /// ``searchedDirectories(home:)`` that has one. The error names every folder tried and the ways out (`option` and
    /// `connectionOption` are the calling command's names for a data directory and a connection string).
    static func description(
        dataDir: String?, home: String?, option: String = "--data-dir", connectionOption: String = "--connection-string"
    ) throws -> HubDescription {
        let directories = dataDir.map { [URL(fileURLWithPath: $0, isDirectory: true)] } ?? searchedDirectories(home: home)
        var problems: [String] = []
        for directory in directories {
            let file = directory.appendingPathComponent(HubDescription.fileName)
            guard FileManager.default.fileExists(atPath: file.path) else {
                problems.append("no \(HubDescription.fileName) in \(directory.path)")
                continue
            }
            guard FileManager.default.isReadableFile(atPath: file.path) else {
                problems.append("\(file.path) is not readable by this user (it is private to the user the hub runs as: run this command as that user)")
                continue
            }
            do {
                return try HubDescription.read(from: directory)
            } catch {
                problems.append("\(file.path) cannot be read: \(error)")
            }
        }
        throw ValidationError("""
            no built-in hub found: \(problems.joined(separator: "; ")).
            Start the hub first (`edgefactor hub`, which writes hub.json into its data directory); if it \
            runs with --data-dir, pass the same folder as \(option) (or set EDGEFACTOR_HOME to the folder above \
            it); for another machine's hub or Azure IoT Hub, pass \(connectionOption) instead.
            """)
    }
}
