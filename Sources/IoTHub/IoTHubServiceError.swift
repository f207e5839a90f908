/// An error answer from the IoT Hub service API (or a failure to get one), with IoT Hub's code.
public struct IoTHubServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// HTTP status; 0 when no HTTP answer arrived (network, TLS, timeout).
    public var status: Int
    /// IoT Hub error code, e.g. 404001 device not found, 404103 device not online, 504101 timeout.
    public var errorCode: Int?
    public var message: String

    public init(status: Int, errorCode: Int? = nil, message: String) {
        self.status = status
        self.errorCode = errorCode
        self.message = message
    }

    public static let deviceNotFound = 404001
    public static let moduleNotFound = 404010
    public static let deviceNotOnline = 404103
    public static let gatewayTimeout = 504101
    public static let unauthorized = 401002
    public static let deviceAlreadyExists = 409001
    public static let moduleAlreadyExists = 409301
    public static let throttled = 429001

    public var description: String {
        var text = "IoT Hub service error"
        if status != 0 { text += " \(status)" }
        if let errorCode { text += " (\(errorCode))" }
        text += ": \(message)"
        if let hint { text += " — \(hint)" }
        return text
    }

    private var hint: String? {
        switch errorCode ?? status {
        case Self.deviceNotOnline: "the device or module is not connected or has no method handler; start it and retry"
        case Self.gatewayTimeout: "the handler did not answer in time; raise responseTimeout or make the handler faster"
        case Self.deviceNotFound, Self.moduleNotFound: "register the identity first (edgefactor hub devices add / modules add)"
        case 401, Self.unauthorized: "check the service connection string's policy name and key"
        case 429, Self.throttled: "too many requests; retry later"
        default: nil
        }
    }
}
