import AzureStorage
import Foundation
import StorageService
#if canImport(Glibc)
import Glibc
#endif

/// Median and 99th percentile of one latency series, in milliseconds.
struct StorageLatency: Sendable {
    var median = 0.0
    var p99 = 0.0
    var cycles = 0

    init() {}

    init(_ samples: [Double]) {
        let sorted = samples.sorted()
        cycles = sorted.count
        guard !sorted.isEmpty else { return }
        median = sorted[sorted.count / 2]
        p99 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
    }
}

/// Blob throughput for one size, in MB/s (10^6 bytes): the Swift client, the Python SDK and the
/// disk baseline, medians of interleaved rounds; the service's peak memory growth while moving them.
struct StorageBlobFigures: Sendable {
    var size: Int
    var count: Int
    var rounds: Int
    var uploadMBps: Double
    /// Uploads of the same bytes as an ArraySlice, copied into one buffer before sending.
    var copiedUploadMBps: Double
    var downloadMBps: Double
    var pythonUploadMBps: Double?
    var pythonDownloadMBps: Double?
    var diskWriteMBps: Double
    /// MD5 + write + fsync of the same bytes: the service's unavoidable work, alone.
    var floorMBps: Double
    /// Largest rise of the service's resident memory (peak over the level before) in any round, bytes.
    var uploadPeakGrowth: Int
    var downloadPeakGrowth: Int
    /// CPU milliseconds per MB over all rounds: the client's process and the service's, for the
    /// Swift client and the Python SDK.
    var cpu = StorageBlobCPU()
}

/// CPU milliseconds per MB moved (10^6 bytes), client process and service process.
struct StorageBlobCPU: Sendable {
    var swiftUpload = (client: 0.0, service: 0.0)
    var copiedUpload = (client: 0.0, service: 0.0)
    var swiftDownload = (client: 0.0, service: 0.0)
    var pythonUpload = (client: 0.0, service: 0.0)
    var pythonDownload = (client: 0.0, service: 0.0)
}

/// The measurements, against one in-process server.
struct StorageBenchmarkRunner: Sendable {
    let connection: StorageConnectionString
    let server: RunningStorageServer
    static let payload = String(repeating: "x", count: 1024)

    /// send + receive + delete cycles per second, `workers` concurrent loops for `seconds`.
    func queueThroughput(workers: Int, seconds: Double) async throws -> Double {
        let queue = QueueClient(connectionString: connection, queueName: "bench-throughput")
        try await queue.create()
        return try await Self.cyclesPerSecond(workers: workers, seconds: seconds) {
            try await queue.send(Self.payload)
            for message in try await queue.receive(maxMessages: 1) { try await queue.delete(message) }
            return true
        }
    }

    /// Cycles/s of the queue's database work alone: send, receive and delete straight on the
    /// service's store, `workers` loops for `seconds`, no HTTP (the floor's storage half).
    func directQueueThroughput(workers: Int, seconds: Double) async throws -> Double {
        let queue = QueueClient(connectionString: connection, queueName: "bench-direct")
        try await queue.create()
        return try await Self.cyclesPerSecond(workers: workers, seconds: seconds) { [server] in
            try await server.directQueueCycle(queue: "bench-direct", text: Self.payload)
        }
    }

    /// `workers` concurrent loops of `cycle` for `seconds` (and at most a million attempts each);
    /// returns the cycles per second that reported success.
    private static func cyclesPerSecond(workers: Int, seconds: Double, _ cycle: @escaping @Sendable () async throws -> Bool) async throws -> Double {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(seconds * 1000))
        let start = clock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var cycles = 0, attempts = 0
                    while clock.now < deadline, attempts < 1_000_000 {
                        attempts += 1
                        if try await cycle() { cycles += 1 }
                    }
                    return cycles
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(total) / Self.seconds(start.duration(to: clock.now))
    }

    /// Messages/s through a queue the way a busy consumer drains it: `producers` loops send,
    /// `consumers` loops receive up to 32 at a time and delete each. Counts deleted messages.
    func batchedThroughput(producers: Int, consumers: Int, seconds: Double) async throws -> Double {
        let queue = QueueClient(connectionString: connection, queueName: "bench-batched")
        try await queue.create()
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(seconds * 1000))
        let start = clock.now
        let deleted = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<producers {
                group.addTask {
                    while clock.now < deadline { try await queue.send(Self.payload) }
                    return 0
                }
            }
            for _ in 0..<consumers {
                group.addTask {
                    var count = 0
                    while clock.now < deadline {
                        let batch = try await queue.receive(maxMessages: 32)
                        for message in batch { try await queue.delete(message) }
                        count += batch.count
                        if batch.isEmpty { try await Task.sleep(for: .milliseconds(1)) }
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = start.duration(to: clock.now)
        return Double(deleted) / Self.seconds(elapsed)
    }

    /// Sequential cycle times on a queue with `preload` messages waiting (the depth stays constant:
    /// each cycle adds one and removes one).
    func cycleLatency(preload: Int, cycles: Int) async throws -> StorageLatency {
        let name = "bench-depth-\(preload)"
        try await server.preload(queue: name, count: preload, text: Self.payload)
        let queue = QueueClient(connectionString: connection, queueName: name)
        let clock = ContinuousClock()
        var samples: [Double] = []
        samples.reserveCapacity(cycles)
        for _ in 0..<cycles {
            let start = clock.now
            try await queue.send(Self.payload)
            guard let message = try await queue.receive(maxMessages: 1).first else {
                throw StorageError(status: 0, code: "BenchmarkFailed", message: "the queue was unexpectedly empty")
            }
            try await queue.delete(message)
            samples.append(Self.seconds(start.duration(to: clock.now)) * 1000)
        }
        return StorageLatency(samples)
    }

    static func writeAndSync(_ bytes: [UInt8], path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StorageError(status: 0, code: "BenchmarkFailed", message: "cannot write \(path)") }
        defer { close(fd) }
        var offset = 0
        try bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            while offset < buffer.count {
                let written = write(fd, base + offset, buffer.count - offset)
                guard written > 0 else { throw StorageError(status: 0, code: "BenchmarkFailed", message: "write failed") }
                offset += written
            }
        }
        fsync(fd)
    }

    static func seconds(_ duration: Duration) -> Double {
        duration / .seconds(1)
    }
}
