import AsyncHTTPClient
import EdgeFactorSupport
public import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// The IoT Hub service API over HTTPS REST (api-version 2021-04-12): direct methods, the
/// identity registry and twins. Works against Azure IoT Hub and the built-in hub alike.
public struct ServiceClient: Sendable {
    public static let apiVersion = "2021-04-12"

    public let connectionString: IoTHubConnectionString
    public let options: ServiceClientOptions
    let baseURL: String
    let tlsConfiguration: TLSConfiguration?
    private let tokenCache = ServiceTokenCache()

    /// A client for the hub named by a service connection string
    /// (`HostName=..;SharedAccessKeyName=..;SharedAccessKey=..`).
    public init(connectionString: IoTHubConnectionString, options: ServiceClientOptions = .init()) {
        self.connectionString = connectionString
        self.options = options
        var base = options.baseURL?.absoluteString ?? "https://\(connectionString.hostName)"
        while base.hasSuffix("/") { base.removeLast() }
        baseURL = base
        if let pem = options.trustRootsPEM, let certificates = try? NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)) {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .certificates(certificates)
            tlsConfiguration = configuration
        } else {
            tlsConfiguration = nil
        }
    }

    // MARK: Direct methods

    /// Invokes `methodName` on a device (or one of its modules) and returns its answer.
    ///
    /// - Parameters:
    ///   - payload: raw JSON passed to the handler.
    ///   - responseTimeout: how long the hub waits for the handler (error 504101 after that).
    ///   - connectTimeout: how long the hub waits for an offline device to connect (error 404103 after that).
    public func invokeMethod(
        deviceId: String,
        moduleId: String? = nil,
        methodName: String,
        payload: Data,
        responseTimeout: Duration = .seconds(30),
        connectTimeout: Duration = .zero
    ) async throws(IoTHubServiceError) -> MethodResponse {
        // Scanned, not parsed into objects: the payload goes out and comes back byte for byte.
        guard RawJSON.isValid(payload) else {
            throw IoTHubServiceError(status: 0, message: "method payload is not valid JSON")
        }
        var body = Data()
        body.reserveCapacity(payload.count + methodName.utf8.count + 112)
        body.append(contentsOf: "{\"methodName\":\(RawJSON.quoted(methodName)),\"payload\":".utf8)
        body.append(payload)
        body.append(contentsOf: (",\"responseTimeoutInSeconds\":\(max(1, responseTimeout.components.seconds)),"
            + "\"connectTimeoutInSeconds\":\(max(0, connectTimeout.components.seconds))}").utf8)
        var path = "/twins/\(PercentEncoding.encode(deviceId))"
        if let moduleId { path += "/modules/\(PercentEncoding.encode(moduleId))" }
        path += "/methods"
        let response = try await send(
            .POST, path, body: body, timeout: responseTimeout + connectTimeout + .seconds(15)
        )
        let bytes = response.body
        guard let members = RawJSON.objectMembers(bytes),
              let statusRange = members["status"],
              let number = RawJSON.number(bytes[bytes.startIndex + statusRange.lowerBound..<bytes.startIndex + statusRange.upperBound]),
              number.rounded() == number, abs(number) < 1e9
        else {
            throw IoTHubServiceError(status: response.status, message: "method result is not {\"status\":..,\"payload\":..}")
        }
        let result = members["payload"].map { Data(bytes[bytes.startIndex + $0.lowerBound..<bytes.startIndex + $0.upperBound]) }
        return MethodResponse(status: Int(number), payload: result ?? Data("null".utf8))
    }

    // MARK: Registry

    /// Creates a device with symmetric keys (generated when not given).
    public func createDevice(_ deviceId: String, primaryKey: String? = nil, secondaryKey: String? = nil, enabled: Bool = true) async throws(IoTHubServiceError) -> DeviceIdentity {
        let device = DeviceIdentity(
            deviceId: deviceId,
            status: enabled ? "enabled" : "disabled",
            authentication: AuthenticationMechanism(symmetricKey: SymmetricKeyPair(
                primaryKey: primaryKey ?? Self.generateKey(), secondaryKey: secondaryKey ?? Self.generateKey()
            ))
        )
        return try await json(.PUT, "/devices/\(PercentEncoding.encode(deviceId))", body: device)
    }

    public func getDevice(_ deviceId: String) async throws(IoTHubServiceError) -> DeviceIdentity {
        try await json(.GET, "/devices/\(PercentEncoding.encode(deviceId))")
    }

    /// Up to `top` devices of the registry.
    public func listDevices(top: Int = 1000) async throws(IoTHubServiceError) -> [DeviceIdentity] {
        try await json(.GET, "/devices", query: "top=\(top)")
    }

    public func deleteDevice(_ deviceId: String, etag: String = "*") async throws(IoTHubServiceError) {
        _ = try await send(.DELETE, "/devices/\(PercentEncoding.encode(deviceId))", ifMatch: etag)
    }

    public func createModule(deviceId: String, moduleId: String, primaryKey: String? = nil, secondaryKey: String? = nil) async throws(IoTHubServiceError) -> ModuleIdentity {
        let module = ModuleIdentity(
            moduleId: moduleId,
            deviceId: deviceId,
            authentication: AuthenticationMechanism(symmetricKey: SymmetricKeyPair(
                primaryKey: primaryKey ?? Self.generateKey(), secondaryKey: secondaryKey ?? Self.generateKey()
            ))
        )
        return try await json(.PUT, modulePath(deviceId, moduleId), body: module)
    }

    public func getModule(deviceId: String, moduleId: String) async throws(IoTHubServiceError) -> ModuleIdentity {
        try await json(.GET, modulePath(deviceId, moduleId))
    }

    public func listModules(deviceId: String) async throws(IoTHubServiceError) -> [ModuleIdentity] {
        try await json(.GET, "/devices/\(PercentEncoding.encode(deviceId))/modules")
    }

    public func deleteModule(deviceId: String, moduleId: String, etag: String = "*") async throws(IoTHubServiceError) {
        _ = try await send(.DELETE, modulePath(deviceId, moduleId), ifMatch: etag)
    }

    /// The connection string a device uses (host name without the service port).
    public func connectionString(for device: DeviceIdentity, gatewayHostName: String? = nil) -> IoTHubConnectionString? {
        guard let key = device.authentication?.symmetricKey?.primaryKey else { return nil }
        return IoTHubConnectionString(
            hostName: connectionString.hostNameWithoutPort, deviceId: device.deviceId,
            sharedAccessKey: key, gatewayHostName: gatewayHostName
        )
    }

    /// The connection string a module uses (host name without the service port).
    public func connectionString(for module: ModuleIdentity, gatewayHostName: String? = nil) -> IoTHubConnectionString? {
        guard let key = module.authentication?.symmetricKey?.primaryKey else { return nil }
        return IoTHubConnectionString(
            hostName: connectionString.hostNameWithoutPort, deviceId: module.deviceId, moduleId: module.moduleId,
            sharedAccessKey: key, gatewayHostName: gatewayHostName
        )
    }

    // MARK: Twins

    public func getTwin(deviceId: String, moduleId: String? = nil) async throws(IoTHubServiceError) -> Twin {
        try await json(.GET, twinPath(deviceId, moduleId))
    }

    /// Merges `patch` (a JSON object such as `{"properties":{"desired":{"interval":5}},"tags":{..}}`;
    /// `null` members delete) into the twin; a desired change reaches the connected client.
    public func updateTwin(deviceId: String, moduleId: String? = nil, patch: Data, etag: String = "*") async throws(IoTHubServiceError) -> Twin {
        let response = try await send(.PATCH, twinPath(deviceId, moduleId), body: patch, ifMatch: etag)
        return try decode(Twin.self, response)
    }

    /// Merges `desired` (a JSON object) into the desired properties.
    public func updateDesiredProperties(deviceId: String, moduleId: String? = nil, _ desired: Data) async throws(IoTHubServiceError) -> Twin {
        let patch = "{\"properties\":{\"desired\":\(String(decoding: desired, as: UTF8.self))}}"
        return try await updateTwin(deviceId: deviceId, moduleId: moduleId, patch: Data(patch.utf8))
    }

    // MARK: HTTP

    private func modulePath(_ deviceId: String, _ moduleId: String) -> String {
        "/devices/\(PercentEncoding.encode(deviceId))/modules/\(PercentEncoding.encode(moduleId))"
    }

    private func twinPath(_ deviceId: String, _ moduleId: String?) -> String {
        var path = "/twins/\(PercentEncoding.encode(deviceId))"
        if let moduleId { path += "/modules/\(PercentEncoding.encode(moduleId))" }
        return path
    }

    static func generateKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
    }

    /// A service SAS token for `Authorization` (signed with the policy key).
    /// Tokens are reused until a tenth of their lifetime is left.
    public func authorizationToken() throws(IoTHubServiceError) -> String {
        let now = Date()
        if let cached = tokenCache.token(validAt: now) { return cached }
        do {
            let lifetime = options.sasTokenTimeToLive.inSeconds
            let token = try SharedAccessSignature.make(
                resourceURI: connectionString.hostName,
                key: connectionString.sharedAccessKey,
                keyName: connectionString.sharedAccessKeyName,
                expiresOn: now + lifetime
            ).token
            tokenCache.store(token, renewAt: now + lifetime * 0.9)
            return token
        } catch {
            throw IoTHubServiceError(status: 0, message: error.description)
        }
    }

    private func json<T: Decodable>(_ method: HTTPMethod, _ path: String, query: String? = nil) async throws(IoTHubServiceError) -> T {
        try decode(T.self, try await send(method, path, query: query))
    }

    private func json<T: Decodable, B: Encodable>(_ method: HTTPMethod, _ path: String, body: B) async throws(IoTHubServiceError) -> T {
        guard let data = try? JSONEncoder().encode(body) else { throw IoTHubServiceError(status: 0, message: "cannot encode the request body") }
        return try decode(T.self, try await send(method, path, body: data))
    }

    private func decode<T: Decodable>(_ type: T.Type, _ response: (status: Int, body: Data)) throws(IoTHubServiceError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw IoTHubServiceError(status: response.status, message: "unexpected response body: \(error)")
        }
    }

    /// Sends one request; non-2xx answers become ``IoTHubServiceError`` with IoT Hub's code.
    func send(
        _ method: HTTPMethod, _ path: String, query: String? = nil, body: Data? = nil,
        ifMatch: String? = nil, timeout: Duration? = nil
    ) async throws(IoTHubServiceError) -> (status: Int, body: Data) {
        var url = baseURL + path + "?api-version=\(Self.apiVersion)"
        if let query { url += "&\(query)" }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.tlsConfiguration = tlsConfiguration
        request.headers.add(name: "Authorization", value: try authorizationToken())
        request.headers.add(name: "Accept", value: "application/json")
        if let ifMatch { request.headers.add(name: "If-Match", value: ifMatch == "*" ? "*" : "\"\(ifMatch)\"") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let limit = timeout ?? options.requestTimeout
        let status: Int
        let data: Data
        do {
            let response = try await options.httpClient.execute(request, timeout: .nanoseconds(Int64(limit.inSeconds * 1e9)))
            status = Int(response.status.code)
            let buffer = try await response.body.collect(upTo: 16 * 1024 * 1024)
            data = Data(buffer.readableBytesView)
        } catch {
            throw IoTHubServiceError(status: 0, message: "\(method.rawValue) \(path) failed: \(error)")
        }
        guard (200..<300).contains(status) else { throw Self.parseError(status: status, body: data) }
        return (status, data)
    }

    /// Reads IoT Hub's error body: `{"Message":"{\"errorCode\":404103,...,\"message\":\"...\"}"}`,
    /// or `{"errorCode":..,"message":..}`, or anything else as text.
    static func parseError(status: Int, body: Data) -> IoTHubServiceError {
        var object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        if let inner = object?["Message"] as? String,
           let innerObject = (try? JSONSerialization.jsonObject(with: Data(inner.utf8))) as? [String: Any] {
            object = innerObject
        }
        let code = (object?["errorCode"] as? NSNumber)?.intValue ?? (object?["errorCode"] as? String).flatMap { Int($0) }
        let message = object?["message"] as? String ?? object?["Message"] as? String
            ?? String(decoding: body.prefix(500), as: UTF8.self)
        return IoTHubServiceError(status: status, errorCode: code, message: message.isEmpty ? "HTTP \(status)" : message)
    }
}

/// The service client's current SAS token, shared by its copies.
final class ServiceTokenCache: Sendable {
    private let state = Mutex<(token: String, renewAt: Date)?>(nil)

    func token(validAt now: Date) -> String? {
        state.withLock { cached in
            guard let cached, now < cached.renewAt else { return nil }
            return cached.token
        }
    }

    func store(_ token: String, renewAt: Date) {
        state.withLock { $0 = (token, renewAt) }
    }
}
