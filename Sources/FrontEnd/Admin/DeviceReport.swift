import IoTHub

/// One device as the admin page shows it: the hub's registry (enabled, connected, last activity),
/// its modules' connections, and what its agent reports in the device twin (the settings in force,
/// the model and whether it loaded, whether the camera works).
struct DeviceReport: Sendable, Equatable {
    /// A module of the device and whether it is connected.
    struct Module: Sendable, Equatable {
        var moduleId: String
        var connected: Bool
    }

    var deviceId: String
    /// `enabled` or `disabled` in the registry.
    var status: String
    /// The device's own connection (its agent) is up.
    var connected: Bool
    var lastActivity: String?
    var modules: [Module]
    /// The agent's reported `agentSettings` (nil: no agent has reported, e.g. a device never started).
    var model: String?
    /// Why the model did not load, when it did not.
    var modelError: String?
    var requestsQueue: String?
    var responsesContainer: String?
    /// The module's settings revision the agent applied, and when.
    var settingsRevision: String?
    var settingsAppliedAt: String?
    /// The agent's camera (nil: not reported).
    var cameraWorking: Bool?
    var cameraProblem: String?

    /// Reads the registry entries and the twin; fields that are missing or of another type stay nil.
    init(identity: DeviceIdentity, twin: Twin?, modules: [ModuleIdentity]) {
        deviceId = identity.deviceId
        status = identity.status ?? "enabled"
        connected = identity.connectionState == "Connected"
        lastActivity = identity.lastActivityTime.flatMap { $0.hasPrefix("0001-") ? nil : $0 }
        self.modules = modules.map { Module(moduleId: $0.moduleId, connected: $0.connectionState == "Connected") }
        let reported = twin?.properties?.reported ?? [:]
        let settings = Self.object(reported["agentSettings"])
        model = Self.text(settings["model"])
        modelError = Self.text(settings["modelError"])
        requestsQueue = Self.text(settings["requestsQueue"])
        responsesContainer = Self.text(settings["responsesContainer"])
        settingsRevision = Self.text(settings["revision"])
        settingsAppliedAt = Self.text(settings["appliedAt"])
        let camera = Self.object(reported["camera"])
        if case .bool(let working)? = camera["working"] { cameraWorking = working }
        cameraProblem = Self.text(camera["problem"])
    }

    /// Connected, with a model that loaded and a camera that works (as far as the twin says).
    var ready: Bool {
        connected && model != nil && modelError == nil && cameraWorking != false
    }

    /// What stands between the device and a sign-in, in words (empty when ready).
    var problems: [String] {
        var problems: [String] = []
        if status != "enabled" { problems.append("disabled in the hub") }
        if !connected { problems.append("its agent is not connected to the hub") }
        if connected, model == nil { problems.append("its agent has not reported its settings") }
        if let modelError { problems.append("model: \(modelError)") }
        if cameraWorking == false { problems.append("camera: \(cameraProblem ?? "not working")") }
        for module in modules where !module.connected { problems.append("module \(module.moduleId) is not connected") }
        return problems
    }

    private static func object(_ value: JSONValue?) -> [String: JSONValue] {
        if case .object(let object)? = value { return object }
        return [:]
    }

    private static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text)?: String(text.prefix(300))
        case .int(let number)?: String(number)
        case .double(let number)?: String(number)
        case .bool(let flag)?: String(flag)
        default: nil
        }
    }
}
