import ArgumentParser
import Foundation
import IoTHub

/// `edgefactor hub invoke-method DEVICE [MODULE] --method-name NAME`: a direct method, as
/// `az iot hub invoke-device-method` / `invoke-module-method` call it.
struct HubInvokeMethodCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoke-method",
        abstract: "Invoke a direct method on a device or module and print its answer as {\"status\":…,\"payload\":…}.",
        discussion: """
            Exits 0 when the method answered (whatever its status; scripts read "status"), 1 when the \
            hub could not deliver it (device offline: 404103; no answer in time: 504101).
            """
    )

    @Argument(help: "Device id.") var deviceId: String
    @Argument(help: "Module id (omit to call the device itself).") var moduleId: String?
    @Option(help: "The method's name, e.g. ProcessRequest.") var methodName: String
    @Option(help: ArgumentHelp("The payload, any JSON value (or @file).", valueName: "json")) var payload = "{}"
    @Option(help: "Seconds the hub waits for the answer (5-300).") var timeout = 30
    @Option(help: "Seconds the hub waits for an offline device or module to connect (0-300).") var connectTimeout = 0
    @OptionGroup var target: HubTarget
    @OptionGroup var config: ConfigOption

    func validate() throws {
        guard (5...300).contains(timeout) else { throw ValidationError("--timeout must be 5 to 300 seconds (IoT Hub's range)") }
        guard (0...300).contains(connectTimeout) else { throw ValidationError("--connect-timeout must be 0 to 300 seconds") }
    }

    func run() async throws {
        let settings = try await config.settings(target.settingFlags)
        let body = try JSONArgument.parse(payload, option: "--payload", object: false)
        let answer = try await target.serviceClient(settings).invokeMethod(
            deviceId: deviceId, moduleId: moduleId, methodName: methodName, payload: body,
            responseTimeout: .seconds(timeout), connectTimeout: .seconds(connectTimeout)
        )
        print("{\"payload\":\(String(decoding: answer.payload, as: UTF8.self)),\"status\":\(answer.status)}")
    }
}
