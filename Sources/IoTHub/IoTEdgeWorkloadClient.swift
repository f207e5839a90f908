public import AsyncHTTPClient
import EdgeFactorSupport
public import Foundation
import NIOCore
import NIOHTTP1

/// A client of the IoT Edge workload API (`IOTEDGE_WORKLOADURI`), through which a module signs its
/// SAS tokens with a key it never sees and learns which CA to trust for its edge hub.
///
/// Two calls, as Microsoft documents them:
/// - `POST /modules/{moduleId}/genid/{generationId}/sign?api-version=…` with
///   `{"keyId":"primary","algo":"HMACSHA256","data":"<base64>"}` answers `{"digest":"<base64>"}`;
/// - `GET /trust-bundle?api-version=…` answers `{"certificate":"<PEM>"}`.
public struct IoTEdgeWorkloadClient: Sendable {
    /// Where the workload API listens.
    enum Endpoint: Sendable, Equatable {
        /// A unix socket (`unix:///var/run/iotedge/workload.sock`).
        case unixSocket(path: String)
        /// An HTTP base URL without a trailing slash (`http://127.0.0.1:15580`).
        case http(base: String)
    }

    let endpoint: Endpoint
    let moduleId: String
    let generationId: String
    let apiVersion: String
    private let httpClient: HTTPClient
    private let timeout: Duration

    /// A client for the module named in `environment`.
    /// - Parameters:
    ///   - environment: The module's IoT Edge variables (workload URI, module, generation, API version).
    ///   - timeout: How long one call may take.
    ///   - httpClient: The HTTP client to send the calls with.
    public init(
        environment: IoTEdgeEnvironment, timeout: Duration = .seconds(10), httpClient: HTTPClient = .shared
    ) throws(IoTHubConfigurationError) {
        endpoint = try Self.endpoint(environment.workloadURI)
        moduleId = environment.moduleId
        generationId = environment.moduleGenerationId
        apiVersion = environment.apiVersion
        self.timeout = timeout
        self.httpClient = httpClient
    }

    /// Parses `IOTEDGE_WORKLOADURI`: `unix:///absolute/path.sock` or `http://host:port`.
    static func endpoint(_ uri: String) throws(IoTHubConfigurationError) -> Endpoint {
        if uri.hasPrefix("unix://") {
            let path = String(uri.dropFirst("unix://".count))
            guard path.hasPrefix("/"), path.count > 1 else {
                throw IoTHubConfigurationError("IOTEDGE_WORKLOADURI \(uri.prefix(200)) must name an absolute socket path, as in unix:///var/run/iotedge/workload.sock")
            }
            return .unixSocket(path: path.hasSuffix("/") ? String(path.dropLast()) : path)
        }
        if uri.hasPrefix("http://") {
            var base = uri
            while base.hasSuffix("/") { base.removeLast() }
            guard base.count > "http://".count else {
                throw IoTHubConfigurationError("IOTEDGE_WORKLOADURI \(uri.prefix(200)) names no host")
            }
            return .http(base: base)
        }
        throw IoTHubConfigurationError("IOTEDGE_WORKLOADURI \(uri.prefix(200)) is neither unix:///path nor http://host:port")
    }

    /// Where the workload API is, for messages.
    var endpointDescription: String {
        switch endpoint {
        case .unixSocket(let path): "unix socket \(path)"
        case .http(let base): base
        }
    }

    /// HMAC-SHA256 of `data` with the module's key `keyId`: the raw digest bytes.
    /// - Parameters:
    ///   - data: The bytes to sign (for a SAS token, the encoded resource URI, a newline and the expiry).
    ///   - keyId: The module key to sign with (`primary`).
    public func sign(_ data: Data, keyId: String = "primary") async throws(IoTEdgeWorkloadError) -> Data {
        let path = "/modules/\(PercentEncoding.encode(moduleId))/genid/\(PercentEncoding.encode(generationId))/sign"
        let request: [String: String] = ["keyId": keyId, "algo": "HMACSHA256", "data": data.base64EncodedString()]
        let body = try await call(.POST, path, body: (try? JSONEncoder().encode(request)) ?? Data())
        guard let answer = try? JSONDecoder().decode([String: String].self, from: body),
              let text = answer["digest"], let digest = Data(base64Encoded: text), !digest.isEmpty
        else {
            throw IoTEdgeWorkloadError("the IoT Edge workload API answered the sign request without a base64 \"digest\": \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        return digest
    }

    /// The PEM certificates the module trusts for its edge hub's TLS certificate.
    public func trustBundle() async throws(IoTEdgeWorkloadError) -> String {
        let body = try await call(.GET, "/trust-bundle", body: nil)
        guard let answer = try? JSONDecoder().decode([String: String].self, from: body),
              let pem = answer["certificate"], pem.contains("-----BEGIN CERTIFICATE-----")
        else {
            throw IoTEdgeWorkloadError("the IoT Edge workload API answered the trust-bundle request without a PEM \"certificate\": \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        return pem
    }

    private func call(_ method: HTTPMethod, _ path: String, body: Data?) async throws(IoTEdgeWorkloadError) -> Data {
        let target = path + "?api-version=\(PercentEncoding.encode(apiVersion))"
        let url: String
        switch endpoint {
        case .unixSocket(let socket):
            // A socket that is not there fails at once (the HTTP client would retry until the timeout).
            guard FileManager.default.fileExists(atPath: socket) else {
                throw IoTEdgeWorkloadError("the IoT Edge workload API socket \(socket) does not exist; check IOTEDGE_WORKLOADURI and that the IoT Edge runtime mounts the socket into the container")
            }
            guard let socketURL = URL(httpURLWithSocketPath: socket, uri: target) else {
                throw IoTEdgeWorkloadError("IOTEDGE_WORKLOADURI socket path \(socket) cannot be made into a URL")
            }
            url = socketURL.absoluteString
        case .http(let base):
            url = base + target
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "edgefactor-swift")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let status: UInt
        let data: Data
        do {
            let response = try await httpClient.execute(request, timeout: .nanoseconds(Int64(timeout.inSeconds * 1e9)))
            status = response.status.code
            data = Data(try await response.body.collect(upTo: 1 << 20).readableBytesView)
        } catch {
            throw IoTEdgeWorkloadError("cannot reach the IoT Edge workload API at \(endpointDescription) (\(method.rawValue) \(path)): \(error); check IOTEDGE_WORKLOADURI and that the socket is mounted into the container and the IoT Edge runtime is running")
        }
        guard (200..<300).contains(status) else {
            let message = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["message"] as? String
                ?? String(decoding: data.prefix(300), as: UTF8.self)
            throw IoTEdgeWorkloadError("the IoT Edge workload API refused \(method.rawValue) \(path) with HTTP \(status): \(message); check IOTEDGE_MODULEID, IOTEDGE_MODULEGENERATIONID and IOTEDGE_APIVERSION (the runtime sets them)")
        }
        return data
    }
}
