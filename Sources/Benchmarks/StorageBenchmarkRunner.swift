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

/// Blob throughput for one size: the Swift client and the disk baseline, in MB/s (10^6 bytes).
struct StorageBlobFigures: Sendable {
    var size: Int
    var count: Int
    var uploadMBps: Double
    var downloadMBps: Double
    var diskWriteMBps: Double
}

/// The measurements, against one in-process server.
struct StorageBenchmarkRunner: Sendable {
    let connection: StorageConnectionString
    let server: StorageServer
    static let payload = String(repeating: "x", count: 1024)

    /// send + receive + delete cycles per second, `workers` concurrent loops for `seconds`.
    func queueThroughput(workers: Int, seconds: Double) async throws -> Double {
        let queue = QueueClient(connectionString: connection, queueName: "bench-throughput")
        try await queue.create()
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(seconds * 1000))
        let start = clock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var cycles = 0
                    // Bounded in time and in count.
                    while clock.now < deadline, cycles < 1_000_000 {
                        try await queue.send(Self.payload)
                        for message in try await queue.receive(maxMessages: 1) { try await queue.delete(message) }
                        cycles += 1
                    }
                    return cycles
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = start.duration(to: clock.now)
        return Double(total) / Self.seconds(elapsed)
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

    /// Upload then download `count` blobs of `size` bytes; the baseline writes the same bytes to a
    /// file with fsync, which is what the service does with them.
    func blobTransfer(size: Int, count: Int, directory: String) async throws -> StorageBlobFigures {
        let container = BlobContainerClient(connectionString: connection, containerName: "bench-\(size >> 20)mib")
        try await container.create()
        var bytes = [UInt8](repeating: 0, count: size)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for index in bytes.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[index] = UInt8(truncatingIfNeeded: state >> 56)
        }
        let clock = ContinuousClock()
        var start = clock.now
        for index in 0..<count {
            try await container.blob("blob-\(index)").upload(bytes, overwrite: true)
        }
        let upload = Self.seconds(start.duration(to: clock.now))
        start = clock.now
        for index in 0..<count {
            let data = try await container.blob("blob-\(index)").download().data
            guard data.count == size else {
                throw StorageError(status: 0, code: "BenchmarkFailed", message: "downloaded \(data.count) of \(size) bytes")
            }
        }
        let download = Self.seconds(start.duration(to: clock.now))
        start = clock.now
        for index in 0..<count {
            try Self.writeAndSync(bytes, path: directory + "/baseline-\(index)")
        }
        let disk = Self.seconds(start.duration(to: clock.now))
        let megabytes = Double(size * count) / 1_000_000
        return StorageBlobFigures(size: size, count: count, uploadMBps: megabytes / upload, downloadMBps: megabytes / download, diskWriteMBps: megabytes / disk)
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
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
