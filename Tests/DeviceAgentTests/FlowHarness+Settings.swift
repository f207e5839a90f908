import AzureStorage
import Foundation
import IoTHub
import Verification

/// Helpers for the module-settings tests: twins, a models folder, and settings sealed as the module.
extension FlowHarness {
    /// Patches the module twin's desired properties, as an operator would.
    func patchModuleDesired(_ json: String) async throws {
        _ = try await hub.serviceClient().updateDesiredProperties(deviceId: Self.deviceId, moduleId: Self.moduleId, Data(json.utf8))
    }

    /// The agent's `agentSettings` reported property (the device twin).
    func agentReported() async throws -> [String: JSONValue] {
        let twin = try await hub.serviceClient().getTwin(deviceId: Self.deviceId)
        guard case .object(let settings)? = twin.properties?.reported["agentSettings"] else { return [:] }
        return settings
    }

    /// Waits until the agent has applied (and removed from its queue) the settings the module
    /// sends after connecting.
    func waitForModuleSettings(timeout: Duration = .seconds(30)) async throws {
        try await waitUntil(timeout: timeout) { try await agentReported()["revision"].map { $0 != .null } ?? false }
    }

    /// Queue messages that are requests, not the module's settings (peeked: visible ones only).
    func visibleRequests(on queue: QueueClient) async throws -> Int {
        try await queue.peek(maxMessages: 32).filter { !$0.text.contains(#""kind":"agent-settings""#) }.count
    }

    /// A models folder holding the set-up's model under its own name and under `alias`, with
    /// labels for `alias` in which `espresso` is renamed to `renamedEspresso`: a request for that
    /// class can only be found by the aliased model.
    func modelsFolder(alias: String, renamedEspresso: String) throws -> URL {
        let home = ProcessInfo.processInfo.environment["EDGEFACTOR_HOME"] ?? "var"
        let source = URL(fileURLWithPath: home + "/models", isDirectory: true)
        let folder = root.appendingPathComponent("models", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let fm = FileManager.default
        let model = source.appendingPathComponent("efficientnet-lite0.onnx").standardizedFileURL.resolvingSymlinksInPath()
        try fm.createSymbolicLink(at: folder.appendingPathComponent("efficientnet-lite0.onnx"), withDestinationURL: model)
        try fm.createSymbolicLink(at: folder.appendingPathComponent(alias + ".onnx"), withDestinationURL: model)
        let labels = try String(contentsOf: source.appendingPathComponent("labels.txt"), encoding: .utf8)
        try labels.write(to: folder.appendingPathComponent("labels.txt"), atomically: true, encoding: .utf8)
        let renamed = labels.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix(" espresso") ? $0.dropLast("espresso".count) + renamedEspresso : $0 }
            .joined(separator: "\n")
        try renamed.write(to: folder.appendingPathComponent(alias + ".labels.txt"), atomically: true, encoding: .utf8)
        return folder
    }

    /// Settings sealed as the module would seal them (or with another secret, for forgeries).
    func sealedSettings(
        revision: Int, queue: String = FlowHarness.names.requestsQueue,
        container: String = FlowHarness.names.responsesContainer, model: String = "efficientnet-lite0",
        secret: SharedSecret? = nil
    ) throws -> String {
        let settings = try AgentSettings.make(requestsQueue: queue, responsesContainer: container, model: model, revision: revision)
        return try SignedEnvelope.seal(settings, kind: .agentSettings, keyId: Self.moduleId, secret: secret ?? moduleSecret).jsonString()
    }

    func queue(_ name: String) -> QueueClient {
        QueueClient(connectionString: storage.storageConnectionString, queueName: name)
    }

    func container(_ name: String) -> BlobContainerClient {
        BlobContainerClient(connectionString: storage.storageConnectionString, containerName: name)
    }
}
