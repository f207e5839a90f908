import ArgumentParser
import Foundation
import HubService
import IoTHub
import ListenerSafety
import Logging
import ServiceLifecycle

/// `edgefactor hub`: Run the built-in IoT hub (MQTT + service REST) and manage its identities.
struct HubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "Run the built-in IoT hub (MQTT + service REST) and manage its identities.",
        discussion: """
            `edgefactor hub` (same as `edgefactor hub run`) serves IoT Hub's device/module MQTT protocol
            over TLS on 8883 and the service REST API over HTTPS on 8443, with a development CA generated
            on first start. The admin verbs talk to a running hub through the service API: by default the
            one whose hub.json is in $EDGEFACTOR_HOME/hub (else ./var/hub, else /var/lib/edgefactor/hub),
            or any IoT hub (Azure too) with --connection-string. Like `az iot hub`, they register and
            list identities, show and update twins, and invoke direct methods.
            """,
        subcommands: [
            HubRunCommand.self, HubDevicesCommand.self, HubModulesCommand.self,
            HubConnectionStringCommand.self, HubTwinCommand.self, HubInvokeMethodCommand.self, HubTelemetryCommand.self,
        ],
        defaultSubcommand: HubRunCommand.self
    )
}

/// `edgefactor hub run`: serve until SIGINT/SIGTERM.
struct HubRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the built-in IoT hub.")

    @Option(help: "Directory for the database, certificates and hub.json (default: $EDGEFACTOR_HOME/hub, else ./var/hub).")
    var dataDir: String?

    @Option(help: "The hub's HostName in connection strings and SAS tokens (must be covered by the TLS certificate).")
    var hostName = "localhost"

    @Option(help: "Address to listen on (MQTT over TLS and HTTPS anywhere; plain MQTT or HTTP off loopback needs --allow-insecure-remote).")
    var bind = "127.0.0.1"

    @Option(help: "MQTT over TLS port (the Azure device SDKs always dial 8883); 0 = any free port.")
    var mqttPort = 8883

    @Option(help: "Also listen for plain-TCP MQTT on this port (development on loopback only).")
    var mqttPlainPort: Int?

    @Option(help: "Service REST API port; 0 = any free port.")
    var restPort = 8443

    @Flag(help: "Serve the REST API over plain HTTP instead of HTTPS.")
    var restPlainHTTP = false

    @Option(help: "PEM certificate chain to use instead of the generated development certificate.")
    var certificate: String?

    @Option(help: "PEM private key of --certificate.")
    var privateKey: String?

    @Option(help: "Shared access policy name for the service API.")
    var policyName = "iothubowner"

    @Option(help: "Keep at most this many telemetry messages.")
    var telemetryMaxMessages = 100_000

    @Option(help: "Keep telemetry at most this many hours.")
    var telemetryMaxAgeHours = 168

    @Option(help: "MQTT connections held at once on each MQTT listener; more wait until one closes. Each needs a file descriptor: raise the limit (LimitNOFILE) above it.")
    var maxMqttConnections = 16_384

    @OptionGroup var listener: ListenerOptions

    @Option(help: "Address for /healthz, /readyz and /metrics (plain HTTP), as host:port; 'off' for none. Off loopback it needs --allow-insecure-remote.")
    var metricsAddress = "127.0.0.1:9471"

    @Flag(inversion: .prefixedNo, help: "Log one line per service-API request at info (method, path without the query, status, duration).")
    var accessLog = true

    @OptionGroup var logging: EdgeLogOptions

    @OptionGroup var config: ConfigOption

    func validate() throws {
        _ = try OperatorOptions.endpoint(metricsAddress, option: "--metrics-address", allowRemote: listener.allowInsecureRemote)
        for port in [mqttPort, restPort] + [mqttPlainPort].compactMap({ $0 }) where !(0...65535).contains(port) {
            throw ValidationError("ports must be 0…65535 (got \(port)).")
        }
        guard (certificate == nil) == (privateKey == nil) else {
            throw ValidationError("--certificate and --private-key go together.")
        }
        guard telemetryMaxMessages > 0, telemetryMaxAgeHours > 0 else {
            throw ValidationError("telemetry retention limits must be positive.")
        }
        guard (1...1_000_000).contains(maxMqttConnections) else {
            throw ValidationError("--max-mqtt-connections must be 1 to 1000000 (got \(maxMqttConnections)).")
        }
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "edgefactor.hub")
        let settings = try await config.settings()
        var configuration = HubConfiguration(
            dataDirectory: dataDir.map { URL(fileURLWithPath: $0) } ?? HubConfiguration.defaultDataDirectory(home: settings.home),
            hostName: hostName, bindHost: bind, mqttTLSPort: mqttPort, mqttPlainPort: mqttPlainPort,
            restPort: restPort, restTLS: !restPlainHTTP, policyName: policyName,
            telemetryMaxMessages: telemetryMaxMessages, telemetryMaxAge: .seconds(telemetryMaxAgeHours * 3600),
            maximumMQTTConnections: maxMqttConnections,
            restListenerLimits: listener.limits, allowInsecureRemote: listener.allowInsecureRemote, logger: logger
        )
        if let certificate, let privateKey {
            configuration.certificate = .files(certificateChain: certificate, privateKey: privateKey)
        }
        configuration.metricsEndpoint = try OperatorOptions.endpoint(metricsAddress, option: "--metrics-address", allowRemote: listener.allowInsecureRemote)
        configuration.accessLog = accessLog
        let descriptors = FileDescriptorLimit.raiseToHardLimit()
        if descriptors < maxMqttConnections + 256 {
            logger.warning("the file-descriptor limit (\(descriptors)) is below --max-mqtt-connections (\(maxMqttConnections)) plus headroom: connections past it are refused; raise it (ulimit -n, or LimitNOFILE in the systemd unit)")
        }
        let announced = configuration
        let hub = HubServer(configuration: configuration) { hub in Self.announce(hub, configuration: announced) }
        let group = ServiceGroup(services: [hub], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch let error as HubStartError {
            throw ValidationError(error.message)
        }
    }

    /// Prints where the hub listens, unbuffered, so a supervising process sees it at once.
    static func announce(_ hub: RunningHubServer, configuration: HubConfiguration) {
        let scheme = configuration.restTLS ? "https" : "http"
        var lines = [
            "hub: MQTT over TLS on \(configuration.bindHost):\(hub.mqttTLSPort.map(String.init) ?? "off")",
            "hub: service API \(scheme)://\(configuration.bindHost):\(hub.restPort)",
            "hub: CA certificate \(hub.caCertificateFile.path)",
            "hub: data directory \(configuration.dataDirectory.path) (hub.json holds the service connection string)",
        ]
        if let plain = hub.mqttPlainPort { lines.insert("hub: plain MQTT on \(configuration.bindHost):\(plain)", at: 1) }
        if let line = OperatorOptions.line("hub", host: configuration.metricsEndpoint?.host ?? "", port: hub.metricsPort) { lines.append(line) }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
