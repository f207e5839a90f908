import IoTHub

/// One identity in `devices list --json` / `modules list --json`: what `az iot hub … list` shows,
/// less the keys (print a connection string with `hub connection-string` when one is wanted).
struct IdentityLine: Encodable {
    var deviceId: String
    var moduleId: String?
    var status: String?
    var connectionState: String?
    var lastActivityTime: String?

    init(_ device: DeviceIdentity) {
        deviceId = device.deviceId
        status = device.status
        connectionState = device.connectionState
        lastActivityTime = device.lastActivityTime
    }

    init(_ module: ModuleIdentity) {
        deviceId = module.deviceId
        moduleId = module.moduleId
        connectionState = module.connectionState
        lastActivityTime = module.lastActivityTime
    }
}
