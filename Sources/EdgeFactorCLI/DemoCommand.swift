import ArgumentParser
import AzureStorage
import DeviceAgent
import EdgeModule
import Foundation
import FrontEnd
import HubService
import IoTHub
import Logging
import Observability
import ServiceLifecycle
import StorageService
import Verification
import Vision

/// `edgefactor demo`: the whole system in one process on the built-in services.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole system in one process on the built-in services.",
        discussion: """
            Starts the built-in storage and hub, the front-end, the edge module and the device agent, \
            with a demo account, generated keys and connection strings, the default model and a camera \
            (by default one that the demo page switches between two filmed objects, a black cup and a \
            yellow box, and the sample photos, one of which shows the demo account's class). \
            It prints the URL and the credentials. State lives in --data-dir and is reused by the next \
            run; Ctrl-C stops everything cleanly.
            """
    )

    @Option(help: ArgumentHelp("Directory for all demo state (default: $EDGEFACTOR_HOME/demo, else ./var/demo).", valueName: "path"))
    var dataDir: String?

    @Option(help: "Address the front-end listens on (anything but loopback needs --allow-insecure-remote: the demo serves plain HTTP).")
    var host = "127.0.0.1"

    @Flag(help: "Allow the front-end on an address other than loopback over plain HTTP (only on a trusted network).")
    var allowInsecureRemote = false

    @Option(help: "Port the front-end listens on (0 = any free port).")
    var port = 8080

    @Option(help: ArgumentHelp("Camera source URI: an image, a folder or glob, v4l2:///dev/videoN, a video file, rtsp://…, synthetic:// (default: the demo camera, switched from the demo page between set-up's filmed cup and box and the sample photos).", valueName: "uri"))
    var camera: String?

    @Option(help: "Frames per second read from image folders and videos (a real camera is asked for this rate).")
    var frameRate = 8.0

    @Option(help: "The demo account's name.")
    var user = "demo"

    @Option(name: .customLong("class"), help: ArgumentHelp("Object class the demo account enrols (a label of the model).", valueName: "label"))
    var enrolledClass = "espresso"

    @Option(help: "Confidence threshold in percent for the demo account.")
    var threshold = 60.0

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "notice"

    @Option(help: "Log format: text or json (one JSON object per line), on standard error.")
    var logFormat = "text"

    @OptionGroup var config: ConfigOption

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format must be text or json") }
        guard (1...100).contains(threshold) else { throw ValidationError("--threshold must be 1 to 100") }
        guard frameRate > 0, frameRate <= 120 else { throw ValidationError("--frame-rate must be above 0 and at most 120") }
    }

    func run() async throws {
        let logger = EdgeLogOptions.bootstrap(label: "edgefactor.demo", level: Logger.Level(rawValue: logLevel) ?? .notice, json: logFormat == "json")
        let settings = try await config.settings()
        let layout = DemoLayout(dataDir: dataDir, home: settings.home)
        try layout.create()

        // The model first: without it there is nothing to demonstrate.
        let classifier: ImageClassifier
        do {
            classifier = try ImageClassifier(configuration: ClassifierConfiguration.defaultModel(home: settings.home))
        } catch {
            throw ValidationError("cannot load the default model: \(error)\nRun scripts/setup.sh, which installs ONNX Runtime and converts the model.")
        }
        guard let classIndex = classifier.labels.index(matching: enrolledClass) else {
            throw ValidationError("'\(enrolledClass)' is not a class of the model; see \(layout.home.path)/models/labels.txt")
        }
        let className = classifier.labels[classIndex]
        if camera == nil, let warning = DemoClassCheck.warning(
            classifier: classifier, classIndex: classIndex, className: className, threshold: threshold, photos: layout.photos
        ) {
            FileHandle.standardError.write(Data("demo: warning: \(warning)\n".utf8))
        }

        // Storage over HTTPS, signed by the hub's development CA, as the hub is: one CA file for both.
        var storageConfiguration = StorageServerConfiguration(
            dataDirectory: layout.storage.path, blobPort: 0, queuePort: 0,
            tls: .developmentCA(caDirectory: layout.hub.appendingPathComponent("certs").path), logger: logger.labelled("storage"))
        // Every part serves /healthz, /readyz and /metrics on a free loopback port (in the banner).
        storageConfiguration.metricsEndpoint = Self.freeLoopbackEndpoint
        var hubConfiguration = HubConfiguration(dataDirectory: layout.hub, mqttTLSPort: 0, restPort: 0, logger: logger.labelled("hub"))
        hubConfiguration.metricsEndpoint = Self.freeLoopbackEndpoint

        // One service group runs everything: storage first (it makes the CA the hub then finds),
        // the hub once storage listens, the applications once both do. A signal shuts them down
        // in the reverse order: applications, hub, storage.
        let (storageListening, storageListened) = AsyncStream.makeStream(of: RunningStorageServer.self, bufferingPolicy: .bufferingNewest(1))
        let (hubListening, hubListened) = AsyncStream.makeStream(of: RunningHubServer.self, bufferingPolicy: .bufferingNewest(1))
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: StorageServer(configuration: storageConfiguration) { storageListened.yield($0) })],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await withThrowingDiscardingTaskGroup { children in
            children.addTask {
                defer {
                    storageListened.finish()
                    hubListened.finish()
                }
                try await group.run()
            }
            // Nothing comes when the group ends first (a signal, a port taken): its error, if any, is thrown above.
            guard let storage = await storageListening.first(where: { _ in true }) else { return }
            if let ca = storage.caCertificatePEM { try StorageTrust.add(certificatesPEM: ca) }
            await group.addServiceUnlessShutdown(.init(service: HubServer(configuration: hubConfiguration) { hubListened.yield($0) }))
            guard let hub = await hubListening.first(where: { _ in true }) else { return }
            let applications = try await makeApplications(
                layout: layout, storage: storage, hub: hub, classifier: classifier, className: className, logger: logger)
            for application in applications {
                await group.addServiceUnlessShutdown(.init(service: application))
            }
        }
        print("demo: stopped; state kept in \(layout.root.path)")
    }

    /// The agent, the module and the front-end, wired to the running storage and hub.
    private func makeApplications(
        layout: DemoLayout, storage: RunningStorageServer, hub: RunningHubServer, classifier: ImageClassifier, className: String, logger: Logger
    ) async throws -> [any Service] {
        let deviceId = "demo-camera", moduleId = "edgefactor"
        // Both return the existing identity on later runs.
        let deviceConnection = try await hub.addDevice(deviceId)
        let moduleConnection = try await hub.addModule(deviceId: deviceId, moduleId: moduleId)

        let secrets = SecretsStore(directory: layout.secrets.path)
        let deviceSecret = try secrets.readOrCreate(.init(deviceId: deviceId))
        let moduleSecret = try secrets.readOrCreate(.init(deviceId: deviceId, moduleId: moduleId))

        let database = try FrontEndDatabase(path: layout.frontendDatabase.path)
        let credentials = try await DemoAccount.ensure(
            username: user, className: className, threshold: threshold, deviceId: deviceId, moduleId: moduleId,
            database: database, credentialsFile: layout.credentials
        )

        let cameraOptions = FrameSourceOptions(loop: true, frameRate: frameRate)
        let demoCamera = camera == nil ? try DemoCamera.make(home: layout.home, photos: layout.photos, options: cameraOptions) : nil
        let cameraURI = camera ?? (demoCamera == nil ? layout.photos.path
            : "the demo camera, on the sample photos; under Your objects enrol the cup or the box, switching the camera at /demo/camera")
        // Each part holds only what it needs, as on separate machines: the module and the agent a
        // grant for the device's own queue and container, the front-end the account key.
        let policy = try await DeviceStorageGrants.prepare(for: deviceId, account: storage.storageConnectionString)
        let grants = try DeviceStorageGrants.issue(for: deviceId, account: storage.storageConnectionString, lifetime: .seconds(7 * 86400), policy: policy)
        var agentConfiguration = DeviceAgentConfiguration(
            hub: deviceConnection, hubOptions: hub.clientOptions(), access: .grant(grants.agent),
            deviceSecret: deviceSecret, moduleSecrets: [moduleId: moduleSecret], camera: cameraURI,
            cameraOptions: cameraOptions
        )
        agentConfiguration.healthEndpoint = ("127.0.0.1", 0)
        // Templates of enrolled objects stay with the demo's state, encrypted with the device's secret.
        agentConfiguration.stateDirectory = layout.root.appendingPathComponent("agent", isDirectory: true)
        let agent = try DeviceAgentService(
            configuration: agentConfiguration, classifier: classifier, camera: demoCamera?.camera, logger: logger.labelled("agent"))

        var moduleConfiguration = EdgeModuleConfiguration(
            hub: .connectionString(moduleConnection, hub.clientOptions()),
            access: .grant(grants.module), moduleSecret: moduleSecret
        )
        // In one process the module can wake the agent at once instead of waiting for its next poll.
        moduleConfiguration.onRequestQueued = { await agent.requestQueued() }
        moduleConfiguration.healthEndpoint = Self.freeLoopbackEndpoint
        let module = EdgeModuleService(configuration: moduleConfiguration, logger: logger.labelled("module"))

        var frontEndConfiguration = FrontEndConfiguration(host: host, port: port, allowInsecureRemote: allowInsecureRemote)
        frontEndConfiguration.metricsEndpoint = Self.freeLoopbackEndpoint
        let frontEnd = FrontEnd(
            configuration: frontEndConfiguration,
            database: database,
            backend: AzureVerificationBackend(hub: hub.serviceClient(), storage: storage.storageConnectionString),
            secrets: StaticDeviceSecrets([deviceId: deviceSecret]),
            demoCamera: demoCamera,
            logger: logger.labelled("frontend")
        )
        let banner = DemoBanner(
            host: host, credentials: credentials, className: className, camera: cameraURI,
            storageConnectionString: storage.connectionString, hubServiceConnectionString: hub.serviceConnectionString.stringValue,
            caFile: hub.caCertificateFile.path, dataDir: layout.root.path
        )
        let frontEndService = FrontEndService(frontEnd) { port in
            // The other parts' endpoints bind as their services start; each wait ends once bound or refused.
            let metrics: [(String, Int?)] = [
                ("storage", storage.metricsPort), ("hub", hub.metricsPort), ("front-end", await frontEnd.metricsPort()),
                ("module", await module.healthPort()), ("agent", agent.healthPort),
            ]
            banner.print(port: port, metrics: metrics.compactMap { name, port in port.map { (name, $0) } })
        }

        return [agent, module, frontEndService]
    }
}

extension DemoCommand {
    /// Loopback, port chosen by the kernel: several demos (and tests) can run side by side.
    static let freeLoopbackEndpoint = OperatorEndpoint(host: "127.0.0.1", port: 0)
}

extension Logger {
    /// A copy of this logger for one component, keeping its level.
    func labelled(_ component: String) -> Logger {
        var logger = Logger(label: "edgefactor.\(component)")
        logger.logLevel = logLevel
        return logger
    }
}
