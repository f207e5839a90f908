import ArgumentParser
import Foundation
import IoTHub

/// `edgefactor hub telemetry [--follow]`: the built-in hub's stored device-to-cloud messages.
struct HubTelemetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "telemetry",
        abstract: "Print stored telemetry as JSON lines; --follow streams new messages (Server-Sent Events).",
        discussion: """
            Reads the built-in hub's /edgefactor/telemetry endpoints. Azure IoT Hub has no such endpoint:
            there, read the Event Hubs-compatible endpoint (for example `az iot hub monitor-events`).
            """
    )

    @Option(help: "Only this device.") var deviceId: String?
    @Option(help: "Only this module.") var moduleId: String?
    @Option(help: "How many recent messages to print first.") var limit = 20
    @Flag(help: "Keep printing new messages until interrupted.") var follow = false
    @OptionGroup var target: HubTarget
    @OptionGroup var config: ConfigOption

    func run() async throws {
        let settings = try await config.settings(target.settingFlags)
        let client = try target.serviceClient(settings)
        if follow {
            for try await line in client.builtInHubTelemetryStream(deviceId: deviceId, moduleId: moduleId, backlog: limit) {
                // Unbuffered, so a pipe sees each message at once.
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }
        } else {
            for message in try await client.builtInHubTelemetry(deviceId: deviceId, moduleId: moduleId, limit: limit) {
                print(String(decoding: message, as: UTF8.self))
            }
        }
    }
}
