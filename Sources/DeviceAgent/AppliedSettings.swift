import Foundation
import IoTHub
import PrivateFiles
import Verification

/// The settings the agent works with, and where they came from: the command line (revision nil)
/// or the module's sealed `AgentSettings`. Kept in `<state>/agent-settings.json` (mode 0600) so a
/// restart resumes them instead of the command line's values.
struct AppliedSettings: Codable, Sendable, Equatable {
    /// The file name in the agent's state folder.
    static let fileName = "agent-settings.json"

    var requestsQueue: String
    var responsesContainer: String
    var model: String
    /// The revision of the module's settings in force; nil while the command line's apply.
    var revision: Int?
    /// The module whose settings these are.
    var moduleId: String?
    var appliedAt: Date?
    /// Earlier requests queues still read until they are empty, so that no request is lost.
    var drainingQueues: [String] = []
    /// Why the module's model could not be loaded (the previous one stays in use).
    var modelError: String?

    /// Whether the module's `settings` are newer than these.
    func isSuperseded(by settings: AgentSettings) -> Bool {
        guard let revision else { return true }
        // The same revision with other values: the module's own defaults changed (an upgrade that
        // gave each device its own queue), not the twin. The module's word is still the latest.
        return settings.revision > revision || (settings.revision == revision && !sameValues(as: settings))
    }

    /// Whether `settings` name what is in force.
    func sameValues(as settings: AgentSettings) -> Bool {
        settings.requestsQueue == requestsQueue && settings.responsesContainer == responsesContainer && settings.model == model
    }

    /// The device twin's reported-properties patch for these settings.
    var reportedPatch: [String: JSONValue] {
        var entry: [String: JSONValue] = [
            "requestsQueue": .string(requestsQueue), "responsesContainer": .string(responsesContainer), "model": .string(model),
            "drainingQueues": .array(drainingQueues.map { .string($0) }), "modelError": modelError.map { .string($0) } ?? .null,
            "revision": revision.map { .int(Int64($0)) } ?? .null, "moduleId": moduleId.map { .string($0) } ?? .null,
        ]
        if let appliedAt { entry["appliedAt"] = .string(appliedAt.formatted(.iso8601)) }
        return ["agentSettings": .object(entry)]
    }

    /// The settings stored in `directory`, or nil when there are none.
    static func load(from directory: URL) throws(DeviceAgentError) -> AppliedSettings? {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let settings: AppliedSettings
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            settings = try decoder.decode(AppliedSettings.self, from: Data(contentsOf: url))
        } catch {
            throw .configuration("cannot read \(url.path): \(error). Fix or delete it (the agent then starts with its command-line settings)")
        }
        for name in [settings.requestsQueue, settings.responsesContainer] + settings.drainingQueues where !AgentSettings.isValidStorageName(name) {
            throw .configuration("\(url.path) names an invalid queue or container '\(name.prefix(63))': fix or delete it")
        }
        guard AgentSettings.isValidModelName(settings.model) else {
            throw .configuration("\(url.path) names an invalid model: fix or delete it")
        }
        return settings
    }

    /// Writes the settings atomically (temporary file, then rename), readable by the owner only.
    func save(to directory: URL) throws(DeviceAgentError) {
        let url = directory.appendingPathComponent(Self.fileName)
        do {
            try PrivateFiles.createDirectory(directory.path)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            try PrivateFiles.write(try encoder.encode(self), to: url.path)
        } catch {
            throw .configuration("cannot save the agent's settings in \(directory.path): \(error)")
        }
    }
}
