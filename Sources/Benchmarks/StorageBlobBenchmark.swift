import AzureStorage
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Blob MB/s against `edgefactor storage` in a process of its own: the Swift client, the Python SDK
/// and a plain write + fsync, interleaved in each round; the service's memory is read around each
/// Swift transfer.
struct StorageBlobBenchmark {
    let server: StorageServerProcess
    let python: String
    let directory: String

    func measure(size: Int, count: Int, rounds: Int) async throws -> StorageBlobFigures {
        let connection = try StorageConnectionString(server.connectionString)
        let container = BlobContainerClient(connectionString: connection, containerName: "bench-\(size >> 20)mib")
        try await container.create()
        let bytes = Self.pseudoRandom(size)
        var uploads: [Double] = [], copiedUploads: [Double] = [], downloads: [Double] = [], pythonUploads: [Double] = [], pythonDownloads: [Double] = [], disk: [Double] = [], floor: [Double] = []
        var uploadGrowth = 0, downloadGrowth = 0
        var cpu = StorageBlobCPU()
        let megabytes = Double(size * count) / 1_000_000
        let clock = ContinuousClock()
        for round in 0..<rounds {
            var before = server.memory.resident
            server.resetPeak()
            var start = clock.now
            var serviceStart = server.cpuSeconds
            let (_, uploadCPU) = try await ProcessCPUTime.measure {
                for index in 0..<count {
                    try await container.blob("blob-\(index)").upload(bytes, overwrite: true)
                }
            }
            cpu.swiftUpload.client += uploadCPU
            cpu.swiftUpload.service += server.cpuSeconds - serviceStart
            uploads.append(megabytes / StorageBenchmarkRunner.seconds(start.duration(to: clock.now)))
            uploadGrowth = max(uploadGrowth, server.memory.peak - before)

            // The same upload from an ArraySlice, which the client copies into one buffer before
            // sending (what every upload did before arrays and Data were streamed in chunks).
            start = clock.now
            serviceStart = server.cpuSeconds
            let (_, copiedCPU) = try await ProcessCPUTime.measure {
                for index in 0..<count {
                    try await container.blob("copied-\(index)").upload(bytes[...], overwrite: true)
                }
            }
            cpu.copiedUpload.client += copiedCPU
            cpu.copiedUpload.service += server.cpuSeconds - serviceStart
            copiedUploads.append(megabytes / StorageBenchmarkRunner.seconds(start.duration(to: clock.now)))

            before = server.memory.resident
            server.resetPeak()
            start = clock.now
            serviceStart = server.cpuSeconds
            let (_, downloadCPU) = try await ProcessCPUTime.measure {
                for index in 0..<count {
                    let data = try await container.blob("blob-\(index)").download().data
                    guard data.count == size else {
                        throw StorageError(status: 0, code: "BenchmarkFailed", message: "downloaded \(data.count) of \(size) bytes")
                    }
                }
            }
            cpu.swiftDownload.client += downloadCPU
            cpu.swiftDownload.service += server.cpuSeconds - serviceStart
            downloads.append(megabytes / StorageBenchmarkRunner.seconds(start.duration(to: clock.now)))
            downloadGrowth = max(downloadGrowth, server.memory.peak - before)

            if let figures = try StorageBenchmarkPython.blobs(
                interpreter: python, connectionString: server.connectionString, size: size, count: count, container: "pybench-\(size >> 20)mib",
                serviceCPU: { server.cpuSeconds }
            ) {
                pythonUploads.append(figures.upload)
                pythonDownloads.append(figures.download)
                cpu.pythonUpload.client += figures.uploadCPU
                cpu.pythonUpload.service += figures.serviceUploadCPU
                cpu.pythonDownload.client += figures.downloadCPU
                cpu.pythonDownload.service += figures.serviceDownloadCPU
            }

            start = clock.now
            for index in 0..<count {
                try StorageBenchmarkRunner.writeAndSync(bytes, path: directory + "/baseline-\(round)-\(index)")
            }
            disk.append(megabytes / StorageBenchmarkRunner.seconds(start.duration(to: clock.now)))

            start = clock.now
            for index in 0..<count {
                try Self.hashWriteAndSync(bytes, path: directory + "/floor-\(round)-\(index)")
            }
            floor.append(megabytes / StorageBenchmarkRunner.seconds(start.duration(to: clock.now)))
        }
        // CPU seconds over all rounds → milliseconds per MB.
        let perMB = 1000 / (megabytes * Double(rounds))
        for path in [\StorageBlobCPU.swiftUpload, \.copiedUpload, \.swiftDownload, \.pythonUpload, \.pythonDownload] {
            cpu[keyPath: path] = (cpu[keyPath: path].client * perMB, cpu[keyPath: path].service * perMB)
        }
        return StorageBlobFigures(
            size: size, count: count, rounds: rounds,
            uploadMBps: Self.median(uploads), copiedUploadMBps: Self.median(copiedUploads), downloadMBps: Self.median(downloads),
            pythonUploadMBps: pythonUploads.isEmpty ? nil : Self.median(pythonUploads),
            pythonDownloadMBps: pythonDownloads.isEmpty ? nil : Self.median(pythonDownloads),
            diskWriteMBps: Self.median(disk), floorMBps: Self.median(floor), uploadPeakGrowth: uploadGrowth, downloadPeakGrowth: downloadGrowth, cpu: cpu
        )
    }

    /// The service's own work on an upload's bytes, alone: MD5 and write in 64 KiB pieces (as
    /// they arrive from the socket), then fsync.
    static func hashWriteAndSync(_ bytes: [UInt8], path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StorageError(status: 0, code: "BenchmarkFailed", message: "cannot write \(path)") }
        defer { close(fd) }
        var md5 = Insecure.MD5()
        try bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let length = min(64 * 1024, buffer.count - offset)
                md5.update(bufferPointer: UnsafeRawBufferPointer(start: base + offset, count: length))
                var written = 0
                while written < length {
                    let result = write(fd, base + offset + written, length - written)
                    guard result > 0 else { throw StorageError(status: 0, code: "BenchmarkFailed", message: "write failed") }
                    written += result
                }
                offset += length
            }
        }
        _ = md5.finalize()
        fsync(fd)
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    static func pseudoRandom(_ size: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for index in bytes.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[index] = UInt8(truncatingIfNeeded: state >> 56)
        }
        return bytes
    }
}
