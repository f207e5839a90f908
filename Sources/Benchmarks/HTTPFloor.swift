import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The fastest a request/response can go through the same two HTTP stacks the storage service and
/// its client use (AsyncHTTPClient → Hummingbird, in one process on loopback) when the handler
/// does no storage work: requests and answers shaped like Put Message (same body size, about
/// as many headers), so the difference to a real queue operation is the storage work itself.
enum HTTPFloor {
    /// Empty round trips per second, `workers` concurrent loops for `seconds`.
    static func roundTripsPerSecond(workers: Int, seconds: Double) async throws -> Double {
        // Shaped like a Put Message: a 1 KiB XML body and the usual x-ms headers in, a small XML
        // body and headers out; the handler reads the body and does nothing else.
        let reply = ByteBuffer(string: "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessagesList><QueueMessage><MessageId>"
            + String(repeating: "0", count: 36) + "</MessageId><InsertionTime>Sun, 29 Nov 2026 04:00:00 GMT</InsertionTime>"
            + "<ExpirationTime>Sun, 06 Dec 2026 04:00:00 GMT</ExpirationTime><PopReceipt>" + String(repeating: "A", count: 24)
            + "</PopReceipt><TimeNextVisible>Sun, 29 Nov 2026 04:00:00 GMT</TimeNextVisible></QueueMessage></QueueMessagesList>")
        let router = Router()
        router.post("/floor") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 1 << 20)
            var headers: HTTPFields = [.contentType: "application/xml"]
            for name in ["x-ms-request-id", "x-ms-version", "x-ms-client-request-id"] {
                if let field = HTTPField.Name(name) { headers[field] = "00000000-0000-0000-0000-000000000000" }
            }
            return Response(status: .created, headers: headers, body: .init(byteBuffer: reply))
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "edgefactor.bench.floor")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let rate: Double? = try await withThrowingTaskGroup(of: Double?.self) { group in
            group.addTask {
                try await app.runService()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            let url = "http://127.0.0.1:\(port)/floor"
            let body = ByteBuffer(string: "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessage><MessageText>"
                + String(repeating: "x", count: 1024) + "</MessageText></QueueMessage>")
            let clock = ContinuousClock()
            let deadline = clock.now + .milliseconds(Int(seconds * 1000))
            let start = clock.now
            let total = try await withThrowingTaskGroup(of: Int.self) { workersGroup in
                for _ in 0..<workers {
                    workersGroup.addTask {
                        var count = 0
                        while clock.now < deadline {
                            var request = HTTPClientRequest(url: url)
                            request.method = .POST
                            request.headers.add(name: "content-type", value: "application/xml")
                            for name in ["x-ms-version", "x-ms-date", "x-ms-client-request-id", "authorization"] {
                                request.headers.add(name: name, value: "SharedKey devstoreaccount1:0000000000000000000000000000000000000000000=")
                            }
                            request.body = .bytes(body)
                            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                            _ = try await response.body.collect(upTo: 1024)
                            count += 1
                        }
                        return count
                    }
                }
                return try await workersGroup.reduce(0, +)
            }
            let rate = Double(total) / StorageBenchmarkRunner.seconds(start.duration(to: clock.now))
            group.cancelAll()
            return rate
        }
        return rate ?? 0
    }
}
