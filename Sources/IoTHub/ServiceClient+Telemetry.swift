import AsyncHTTPClient
import EdgeFactorSupport
public import Foundation
import NIOCore

extension ServiceClient {
    /// Stored telemetry of EdgeFactor's built-in hub as JSON objects (one per message), oldest first.
    /// Azure IoT Hub has no such endpoint (read its Event Hubs-compatible endpoint instead).
    public func builtInHubTelemetry(deviceId: String? = nil, moduleId: String? = nil, limit: Int = 100) async throws(IoTHubServiceError) -> [Data] {
        var query = ["limit=\(limit)"]
        if let deviceId { query.append("deviceId=\(PercentEncoding.encode(deviceId))") }
        if let moduleId { query.append("moduleId=\(PercentEncoding.encode(moduleId))") }
        let response = try await send(.GET, "/edgefactor/telemetry", query: query.joined(separator: "&"))
        guard let array = (try? JSONSerialization.jsonObject(with: response.body)) as? [Any] else {
            throw IoTHubServiceError(status: response.status, message: "telemetry answer is not a JSON array")
        }
        return array.compactMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .withoutEscapingSlashes]) }
    }

    /// New telemetry of the built-in hub as it is stored (Server-Sent Events), each element one
    /// message as a JSON line; starts with the newest `backlog` stored messages.
    public func builtInHubTelemetryStream(deviceId: String? = nil, moduleId: String? = nil, backlog: Int = 0) -> AsyncThrowingStream<String, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var query = ["backlog=\(backlog)"]
                    if let deviceId { query.append("deviceId=\(PercentEncoding.encode(deviceId))") }
                    if let moduleId { query.append("moduleId=\(PercentEncoding.encode(moduleId))") }
                    var request = HTTPClientRequest(url: baseURL + "/edgefactor/telemetry/stream?" + query.joined(separator: "&"))
                    request.tlsConfiguration = tlsConfiguration
                    request.headers.add(name: "Authorization", value: try authorizationToken())
                    request.headers.add(name: "Accept", value: "text/event-stream")
                    let response = try await options.httpClient.execute(request, timeout: .hours(24 * 365))
                    guard response.status == .ok else {
                        let body = try await response.body.collect(upTo: 64 * 1024)
                        throw Self.parseError(status: Int(response.status.code), body: Data(body.readableBytesView))
                    }
                    var pending: [UInt8] = []
                    for try await chunk in response.body {
                        pending.append(contentsOf: chunk.readableBytesView)
                        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                            let line = String(decoding: pending[..<newline], as: UTF8.self)
                            pending.removeSubrange(...newline)
                            if line.hasPrefix("data: ") { continuation.yield(String(line.dropFirst(6))) }
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
