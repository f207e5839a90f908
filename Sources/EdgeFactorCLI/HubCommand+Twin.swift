import ArgumentParser
import Foundation
import IoTHub

/// `edgefactor hub twin show|update`: a device's or module's twin, as
/// `az iot hub device-twin` / `module-twin` show and update it.
struct HubTwinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "twin", abstract: "Show or update a device's or module's twin (tags, desired and reported properties).",
        subcommands: [Show.self, Update.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the twin as JSON.")
        @Argument(help: "Device id.") var deviceId: String
        @Argument(help: "Module id (omit for the device's own twin).") var moduleId: String?
        @OptionGroup var target: HubTarget
        @OptionGroup var config: ConfigOption

        func run() async throws {
            let settings = try await config.settings(target.settingFlags)
            let twin = try await target.serviceClient(settings).getTwin(deviceId: deviceId, moduleId: moduleId)
            print(try JSONArgument.text(twin))
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge desired properties or tags into the twin (JSON merge patch: null deletes) and print the result.",
            discussion: """
                A desired change reaches the connected device or module at once; the EdgeFactor module \
                applies its settings (defaultThreshold, requestLifetimeSeconds, requestsQueue, \
                responsesContainer, model) and acknowledges them in its reported properties. JSON may \
                be given inline or as @file.
                """
        )
        @Argument(help: "Device id.") var deviceId: String
        @Argument(help: "Module id (omit for the device's own twin).") var moduleId: String?
        @Option(help: ArgumentHelp("Desired properties to merge, a JSON object (or @file).", valueName: "json")) var desired: String?
        @Option(help: ArgumentHelp("Tags to merge, a JSON object (or @file).", valueName: "json")) var tags: String?
        @Option(help: ArgumentHelp("Apply the change only if the twin still has this etag (default: whatever it is).", valueName: "etag")) var etag = "*"
        @OptionGroup var target: HubTarget
        @OptionGroup var config: ConfigOption

        func validate() throws {
            guard desired != nil || tags != nil else { throw ValidationError("give --desired, --tags or both") }
        }

        func run() async throws {
            let settings = try await config.settings(target.settingFlags)
            var parts: [String] = []
            if let tags { parts.append("\"tags\":" + String(decoding: try JSONArgument.parse(tags, option: "--tags"), as: UTF8.self)) }
            if let desired {
                parts.append("\"properties\":{\"desired\":" + String(decoding: try JSONArgument.parse(desired, option: "--desired"), as: UTF8.self) + "}")
            }
            let patch = Data(("{" + parts.joined(separator: ",") + "}").utf8)
            let twin = try await target.serviceClient(settings).updateTwin(deviceId: deviceId, moduleId: moduleId, patch: patch, etag: etag)
            print(try JSONArgument.text(twin))
        }
    }
}
