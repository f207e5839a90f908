import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore

/// The fastest a request/response can go through the same two HTTP stacks the storage service and
/// its client use (AsyncHTTPClient → Hummingbird, in one process on loopback) when the handler
/// does nothing: the floor under every queue operation, measured in the same run.
enum HTTPFloor {
    /// Empty round trips per second, `workers` concurrent loops for `seconds`.
    static func roundTripsPerSecond(workers: Int, seconds: Double) async throws -> Double {
        let router = Router()
        router.get("/floor") { _, _ in HTTPResponse.Status.noContent }
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
            let clock = ContinuousClock()
            let deadline = clock.now + .milliseconds(Int(seconds * 1000))
            let start = clock.now
            let total = try await withThrowingTaskGroup(of: Int.self) { workersGroup in
                for _ in 0..<workers {
                    workersGroup.addTask {
                        var count = 0
                        while clock.now < deadline {
                            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
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
