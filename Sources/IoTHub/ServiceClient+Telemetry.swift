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
    /// message as a JSON line; starts with the newest `backlog` stored messages. The request is
    /// made by the task that iterates, when it first asks for an element, and ends with it.
    public func builtInHubTelemetryStream(deviceId: String? = nil, moduleId: String? = nil, backlog: Int = 0) -> BuiltInHubTelemetryStream {
        var query = ["backlog=\(backlog)"]
        if let deviceId { query.append("deviceId=\(PercentEncoding.encode(deviceId))") }
        if let moduleId { query.append("moduleId=\(PercentEncoding.encode(moduleId))") }
        return BuiltInHubTelemetryStream(client: self, query: query.joined(separator: "&"))
    }
}

/// The built-in hub's telemetry as Server-Sent Events: each element is one message as a JSON line.
public struct BuiltInHubTelemetryStream: AsyncSequence, Sendable {
    public typealias Element = String

    let client: ServiceClient
    let query: String

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(client: client, query: query)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        private let client: ServiceClient
        private let query: String
        private var body: HTTPClientResponse.Body.AsyncIterator?
        private var pending: [UInt8] = []
        private var finished = false

        init(client: ServiceClient, query: String) {
            self.client = client
            self.query = query
        }

        public mutating func next() async throws -> String? {
            while !finished {
                if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[..<newline], as: UTF8.self)
                    pending.removeSubrange(...newline)
                    if line.hasPrefix("data: ") { return String(line.dropFirst(6)) }
                    continue
                }
                if body == nil { body = try await open() }
                guard let chunk = try await body?.next() else {
                    finished = true
                    break
                }
                pending.append(contentsOf: chunk.readableBytesView)
            }
            return nil
        }

        private func open() async throws -> HTTPClientResponse.Body.AsyncIterator {
            var request = HTTPClientRequest(url: client.baseURL + "/edgefactor/telemetry/stream?" + query)
            request.tlsConfiguration = client.tlsConfiguration
            request.headers.add(name: "Authorization", value: try client.authorizationToken())
            request.headers.add(name: "Accept", value: "text/event-stream")
            let response = try await client.options.httpClient.execute(request, timeout: .hours(24 * 365))
            guard response.status == .ok else {
                let body = try await response.body.collect(upTo: 64 * 1024)
                throw ServiceClient.parseError(status: Int(response.status.code), body: Data(body.readableBytesView))
            }
            return response.body.makeAsyncIterator()
        }
    }
}
