/// A service-API error in IoT Hub's vocabulary (HTTP status, numeric code, code name, message).
struct HubError: Error, Sendable {
    var status: Int
    var code: Int
    var name: String
    var message: String

    static func deviceNotFound(_ id: String) -> HubError {
        HubError(status: 404, code: 404001, name: "DeviceNotFound", message: "Device \(id) is not registered.")
    }
    static func moduleNotFound(_ device: String, _ module: String) -> HubError {
        HubError(status: 404, code: 404010, name: "ModuleNotFound", message: "Module \(module) on device \(device) is not registered.")
    }
    static func notOnline(_ id: String) -> HubError {
        HubError(status: 404, code: 404103, name: "DeviceNotOnline", message: "Timed out waiting for device \(id) to connect (or it has no method handler).")
    }
    static func timeout(_ id: String, _ seconds: Int) -> HubError {
        HubError(status: 504, code: 504101, name: "GatewayTimeout", message: "Timed out waiting for the response from \(id) after \(seconds) s.")
    }
    static func deviceExists(_ id: String) -> HubError {
        HubError(status: 409, code: 409001, name: "DeviceAlreadyExists", message: "Device \(id) already exists; update it with If-Match.")
    }
    static func moduleExists(_ device: String, _ module: String) -> HubError {
        HubError(status: 409, code: 409301, name: "ModuleAlreadyExistsOnDevice", message: "Module \(module) already exists on device \(device).")
    }
    static func preconditionFailed(_ detail: String) -> HubError {
        HubError(status: 412, code: 412001, name: "PreconditionFailed", message: detail)
    }
    static func unauthorized(_ detail: String) -> HubError {
        HubError(status: 401, code: 401002, name: "IotHubUnauthorizedAccess", message: detail)
    }
    static func badRequest(_ detail: String) -> HubError {
        HubError(status: 400, code: 400004, name: "ArgumentInvalid", message: detail)
    }
    static func tooLarge(_ detail: String) -> HubError {
        HubError(status: 413, code: 413001, name: "MessageTooLarge", message: detail)
    }
}
