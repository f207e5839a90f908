import HTTPTypes
import Hummingbird
import NIOCore

// EdgeFactor's telemetry stream: `GET /edgefactor/telemetry/stream` (server-sent events).
extension ServiceAPI {
    func telemetryStream(_ request: Request) -> Response {
        let query = request.uri.queryParameters
        let deviceId = query.get("deviceId").map { String($0) }
        let moduleId = query.get("moduleId").map { String($0) }
        let after = query.get("after", as: Int64.self) ?? request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int64($0) }
        let backlog = min(max(query.get("backlog", as: Int.self) ?? 0, 0), 10_000)
        let telemetry = core.telemetry
        let body = ResponseBody { writer in
            // Subscribe first, then read the backlog, so nothing falls between the two.
            let live = telemetry.subscribe(deviceId: deviceId, moduleId: moduleId)
            var lastId = after ?? 0
            if after != nil || backlog > 0 {
                let old = try await telemetry.messages(deviceId: deviceId, moduleId: moduleId, afterId: after, limit: after != nil ? 10_000 : backlog)
                for record in old {
                    try await writer.write(Self.event(record))
                    lastId = record.id
                }
            }
            try await writer.write(ByteBuffer(string: ": connected\n\n"))
            // One sequence of stored messages and heartbeats (nil), ended when the hub closes `live`.
            let (events, eventSink) = AsyncStream.makeStream(of: StoredTelemetry?.self)
            // Both feeders are children of this response: they end with it, whichever way it ends.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await record in live { eventSink.yield(record) }
                    eventSink.finish()
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(15))
                        eventSink.yield(nil)
                    }
                }
                defer { group.cancelAll() }
                for await item in events {
                    if let record = item {
                        guard record.id > lastId else { continue }
                        lastId = record.id
                        try await writer.write(Self.event(record))
                    } else {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    }
                }
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: body
        )
    }

    private static func event(_ record: StoredTelemetry) -> ByteBuffer {
        ByteBuffer(string: "id: \(record.id)\nevent: telemetry\ndata: \(record.jsonLine)\n\n")
    }
}
