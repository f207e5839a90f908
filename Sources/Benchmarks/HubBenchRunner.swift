import AsyncHTTPClient
import Foundation
import HubService
import IoTHub
import MQTT
import NIOCore
import Synchronization

/// The three measurements, each bounded in count and time.
enum HubBenchRunner {
    struct ConnectionResult {
        var opened: Int
        var failed: Int
        var seconds: Double
        var bytesPerConnection: Double
        var summary: String {
            "\(opened) open (\(failed) failed) in \(String(format: "%.1f", seconds)) s, \(String(format: "%.1f", bytesPerConnection / 1024)) KiB each"
        }
    }

    struct Throughput {
        var count: Int
        var seconds: Double
        var perSecond: Double { seconds > 0 ? Double(count) / seconds : 0 }
        var errors = 0
        /// CPU seconds the server and this client process used meanwhile.
        var cpu = 0.0
        /// CPU microseconds per operation: unlike the rate, other load hardly moves it.
        var cpuPerOperation: Double { count > 0 ? cpu / Double(count) * 1e6 : 0 }
    }

    /// Runs a measurement and adds the CPU time `server` and this process used during it.
    static func withCPU(_ server: HubBenchProcess, _ body: () async throws -> Throughput) async rethrows -> Throughput {
        let start = server.cpuSeconds + ProcessCPUTime.seconds()
        var result = try await body()
        result.cpu = server.cpuSeconds + ProcessCPUTime.seconds() - start
        return result
    }

    /// The median of the rounds' CPU per operation.
    static func medianCPU(_ rounds: [Throughput]) -> Double? {
        let sorted = rounds.map(\.cpuPerOperation).sorted()
        return sorted.isEmpty ? nil : sorted[sorted.count / 2]
    }

    /// The round with the median rate (the higher middle one of an even count).
    static func median(_ rounds: [Throughput]) -> Throughput? {
        let sorted = rounds.sorted { $0.perSecond < $1.perSecond }
        return sorted.isEmpty ? nil : sorted[sorted.count / 2]
    }

    static func connections(
        server: HubBenchProcess, target: Int, limit: Duration, connect: @escaping @Sendable (Int) -> MQTTConnect
    ) async throws -> ConnectionResult {
        try await Task.sleep(for: .seconds(1))
        let before = server.residentBytes
        let start = ContinuousClock.now
        let deadline = start + limit
        let opened = Locked<[HubBenchConnection]>([])
        let failures = Locked(0)
        let next = Locked(0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<128 {
                group.addTask {
                    while ContinuousClock.now < deadline {
                        let index = next.withLock { value -> Int in
                            defer { value += 1 }
                            return value
                        }
                        guard index < target else { return }
                        let connection = HubBenchConnection(role: .idle)
                        do {
                            let ack = try await connection.open(
                                port: server.port, connect: connect(index), source: "127.0.0.\(2 + index % 16)"
                            )
                            if ack.returnCode == .accepted {
                                opened.withLock { $0.append(connection) }
                            } else {
                                failures.withLock { $0 += 1 }
                                await connection.close()
                            }
                        } catch {
                            failures.withLock { $0 += 1 }
                            await connection.close()
                        }
                    }
                }
            }
        }
        let elapsed = ContinuousClock.now - start
        try await Task.sleep(for: .seconds(2))
        let after = server.residentBytes
        let all = opened.withLock { $0 }
        let result = ConnectionResult(
            opened: all.count, failed: failures.withLock { $0 }, seconds: elapsed.seconds,
            bytesPerConnection: all.isEmpty ? 0 : Double(max(0, after - before)) / Double(all.count)
        )
        for connection in all { await connection.close() }
        try await Task.sleep(for: .seconds(2))
        return result
    }

    static func telemetry(
        port: Int, publishers: [(IoTHubConnectionString?, MQTTConnect)], total: Int, window: Int,
        counter: MQTTConnect?, limit: Duration
    ) async throws -> Throughput {
        var subscriber: HubBenchConnection?
        if let counter {
            let connection = HubBenchConnection(role: .counter)
            _ = try await connection.open(port: port, connect: counter)
            connection.subscribe("bench/#")
            try await Task.sleep(for: .milliseconds(300))
            subscriber = connection
        }
        let share = total / publishers.count
        var connections: [HubBenchConnection] = []
        for (index, publisher) in publishers.enumerated() {
            let topic = publisher.0.map { IoTHubTopic.telemetryPrefix(deviceId: $0.deviceId ?? "", moduleId: nil) + "%24.ct=application%2Fjson" }
                ?? "bench/\(index)"
            let payload = ByteBuffer(string: "{\"deviceId\":\"publisher-\(index)\",\"temperature\":21.5,\"humidity\":40,\"padding\":\"" + String(repeating: "x", count: 120) + "\"}")
            let connection = HubBenchConnection(role: .publisher(topic: topic, payload: payload, total: share, window: window))
            let ack = try await connection.open(port: port, connect: publisher.1)
            guard ack.returnCode == .accepted else { throw HubStartError("publisher refused: \(ack.returnCode)") }
            connections.append(connection)
        }
        let start = ContinuousClock.now
        let deadline = start + limit
        await withTaskGroup(of: Void.self) { group in
            for connection in connections { group.addTask { await connection.run(until: deadline) } }
        }
        let elapsed = ContinuousClock.now - start
        let completed = connections.reduce(0) { $0 + $1.completed }
        for connection in connections { await connection.close() }
        if let subscriber {
            try await Task.sleep(for: .milliseconds(500))
            say("  subscriber received \(subscriber.received) of \(completed)")
            await subscriber.close()
        }
        return Throughput(count: completed, seconds: elapsed.seconds)
    }

    static func hubMethods(
        hub: HubBenchProcess, responders: [IoTHubConnectionString], calls: Int, concurrency: Int, limit: Duration
    ) async throws -> Throughput {
        guard let hubService = hub.serviceClient else { return Throughput(count: 0, seconds: 0) }
        var clients: [DeviceClient] = []
        for connectionString in responders {
            let client = DeviceClient(connectionString: connectionString, options: HubClientOptions(
                transport: .plainTCPLoopbackDevelopment, port: hub.port, hostOverride: "127.0.0.1"
            ))
            await client.onMethod { request in MethodResponse(status: 200, payload: request.payload) }
            try await client.connect()
            clients.append(client)
        }
        let result = try await methodCalls(
            through: hubService, deviceIds: responders.compactMap(\.deviceId), calls: calls, concurrency: concurrency, limit: limit
        )
        for client in clients { await client.close() }
        return result
    }

    /// The same calls against the floor server's REST endpoint, which answers at once.
    static func restFloor(floor: HubBenchProcess, calls: Int, concurrency: Int, limit: Duration) async throws -> Throughput {
        guard let service = floor.serviceClient else { return Throughput(count: 0, seconds: 0) }
        return try await methodCalls(through: service, deviceIds: ["floor"], calls: calls, concurrency: concurrency, limit: limit)
    }

    /// `calls` direct-method calls, `concurrency` at a time, through a copy of `service` with a
    /// connection pool of its own.
    private static func methodCalls(
        through template: ServiceClient, deviceIds: [String], calls: Int, concurrency: Int, limit: Duration
    ) async throws -> Throughput {
        // Room for one kept-alive HTTP connection per concurrent call (the shared client's pool
        // stops at 8 per host).
        var poolConfiguration = HTTPClient.Configuration()
        poolConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: poolConfiguration)
        defer { Task { try? await httpClient.shutdown() } }
        var options = template.options
        options.httpClient = httpClient
        let service = ServiceClient(connectionString: template.connectionString, options: options)
        // Warm the HTTP connection pool.
        _ = try await service.invokeMethod(deviceId: deviceIds[0], methodName: "warmup", payload: Data("{}".utf8))
        let next = Locked(0)
        let errors = Locked(0)
        let start = ContinuousClock.now
        let deadline = start + limit
        let completed = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var done = 0
                    while ContinuousClock.now < deadline {
                        let index = next.withLock { value -> Int in
                            defer { value += 1 }
                            return value
                        }
                        guard index < calls else { break }
                        do {
                            let response = try await service.invokeMethod(
                                deviceId: deviceIds[index % deviceIds.count], methodName: "ping",
                                payload: Data("{\"n\":\(index)}".utf8), responseTimeout: .seconds(30)
                            )
                            if response.status == 200 { done += 1 } else { errors.withLock { $0 += 1 } }
                        } catch {
                            errors.withLock { $0 += 1 }
                        }
                    }
                    return done
                }
            }
            return await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        var result = Throughput(count: completed, seconds: elapsed.seconds)
        result.errors = errors.withLock { $0 }
        return result
    }

    static func brokerRequestResponse(port: Int, calls: Int, window: Int, limit: Duration) async throws -> Throughput {
        let responder = HubBenchConnection(role: .responder)
        _ = try await responder.open(port: port, connect: MQTTConnect(clientId: "responder", cleanSession: true))
        responder.subscribe("req/#")
        let requester = HubBenchConnection(role: .requester(total: calls, window: window))
        _ = try await requester.open(port: port, connect: MQTTConnect(clientId: "requester", cleanSession: true))
        requester.subscribe("res/#")
        try await Task.sleep(for: .milliseconds(300))
        let start = ContinuousClock.now
        await requester.run(until: start + limit)
        let elapsed = ContinuousClock.now - start
        let completed = requester.completed
        await requester.close()
        await responder.close()
        return Throughput(count: completed, seconds: elapsed.seconds)
    }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}

/// A value behind a mutex that task-group children can share.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout sending Value) -> sending R) -> R { mutex.withLock(body) }
}
