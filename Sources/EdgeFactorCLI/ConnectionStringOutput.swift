import ArgumentParser
import CLISettings
import Foundation
import HubService
import IoTHub

/// How the admin verbs print a device's or module's connection string: with the gateway to dial,
/// and with the MQTT port when it is not 8883, so that the string alone reaches the hub.
struct ConnectionStringOutput: ParsableArguments {
    @Option(help: "GatewayHostName to put in the printed connection string (the host devices dial, e.g. when HostName is not it).")
    var gatewayHostName: String?

    @Option(help: "MQTT port to put in the printed connection string (HostName=host:port, or on GatewayHostName). Default: the local hub's TLS port from hub.json when it is not 8883; none for a hub given by connection string.")
    var mqttPort: Int?

    func validate() throws {
        if let mqttPort, !(1...65535).contains(mqttPort) {
            throw ValidationError("--mqtt-port must be 1…65535 (got \(mqttPort)).")
        }
    }

    /// `connectionString` with the port added where the client dials: on `GatewayHostName` when
    /// there is one, else on `HostName`.
    func finish(_ connectionString: IoTHubConnectionString, target: HubTarget, settings: EdgeFactorSettings) -> IoTHubConnectionString {
        guard let port = mqttPort ?? target.localMQTTPort(settings), port != 8883 else { return connectionString }
        var result = connectionString
        if let gateway = result.gatewayHostNameWithoutPort {
            result.gatewayHostName = "\(gateway):\(port)"
        } else {
            result.hostName = "\(result.hostNameWithoutPort):\(port)"
        }
        return result
    }
}

extension HubTarget {
    /// The MQTT-over-TLS port of the local hub described by hub.json, when the admin verbs talk to
    /// it (no service connection string given: no option, variable or file entry); `nil` otherwise.
    func localMQTTPort(_ settings: EdgeFactorSettings) -> Int? {
        guard settings.serviceConnectionString == nil else { return nil }
        let directory = dataDir.map { URL(fileURLWithPath: $0) } ?? HubConfiguration.defaultDataDirectory(home: settings.home)
        return (try? HubDescription.read(from: directory))?.mqttTLSPort
    }
}
