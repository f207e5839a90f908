import ArgumentParser
import AzureStorage
import Foundation
import Logging
import StorageService
import TestSupport

/// `edgefactor-bench storage`: Queue cycles/s and blob MB/s, Swift client and the Python SDK on the same server.
struct StorageBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Queue cycles/s and blob MB/s, Swift client and the Python SDK on the same server.",
        discussion: """
            Starts the built-in storage service in-process on loopback (ports chosen by the OS, a temporary
            data directory) and measures, in one run: send+receive+delete cycles/s with 1 KiB messages from
            the Swift client and from the official Python SDK (the reference); cycle time with 10 and with
            --deep-queue messages waiting; blob upload and download MB/s for 1 MiB and 64 MiB blobs, against
            the Python SDK and a plain write+fsync of the same bytes to the same disk. Rewrites the
            "Storage" section of docs/benchmarks.md.
            """
    )

    @Option(help: "Seconds each throughput measurement runs.")
    var seconds = 10.0

    @Option(help: "Concurrent workers (Swift tasks, Python threads) for the throughput measurement.")
    var concurrency = 8

    @Option(help: "Messages waiting in the deep queue.")
    var deepQueue = 1_000_000

    @Option(help: "Sequential cycles timed on each of the shallow and the deep queue.")
    var latencyCycles = 2_000

    @Option(help: "Python interpreter with azure-storage-queue and azure-storage-blob (default: .venv/bin/python).")
    var python = ".venv/bin/python"

    @Option(help: "Markdown file whose Storage section is rewritten.")
    var output = "docs/benchmarks.md"

    @Flag(help: "Print the table only; leave docs/benchmarks.md alone.")
    var dryRun = false

    @Flag(help: "Measure the queue throughput figures only (for quick iterations; implies --dry-run).")
    var queueOnly = false

    @Flag(help: "Measure the blob figures only (for quick iterations; implies --dry-run).")
    var blobsOnly = false

    @Option(help: "Interleaved rounds of the blob measurements (medians are reported).")
    var blobRounds = 5

    @Option(help: "The edgefactor executable that serves the blob measurements (default: next to this one).")
    var edgefactor: String?

    func validate() throws {
        guard seconds > 0, seconds <= 120 else { throw ValidationError("--seconds must be in (0, 120].") }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be 1…64.") }
        guard (10...5_000_000).contains(deepQueue) else { throw ValidationError("--deep-queue must be 10…5,000,000.") }
        guard (10...100_000).contains(latencyCycles) else { throw ValidationError("--latency-cycles must be 10…100,000.") }
        guard (1...20).contains(blobRounds) else { throw ValidationError("--blob-rounds must be 1…20.") }
    }

    func run() async throws {
        let measured = try await measure()
        print(measured.body)
        if !dryRun, !queueOnly, !blobsOnly {
            try BenchmarkDocument.replaceSection(measured.title, in: output, with: measured.body)
            say("wrote the Storage section of \(output)")
        }
    }

    func measure() async throws -> BenchSection {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("edgefactor-bench-storage-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var logger = Logger(label: "edgefactor.bench.storage")
        logger.logLevel = .warning
        let configuration = StorageServerConfiguration(
            dataDirectory: directory, blobPort: 0, queuePort: 0, maximumBlobSize: 256 << 20, logger: logger)
        let background = try await BackgroundServer.start { try await StorageServer.withRunning(configuration, $0) }
        let server = background.handle
        var report = StorageBenchmarkReport(concurrency: concurrency, seconds: seconds, deepQueue: deepQueue)
        if blobsOnly {
            await background.stop()
            report.blobs = try await measureBlobs(directory: directory)
            return BenchSection(title: "Storage", body: report.markdown(command: "(blobs only)"), targets: report.targets)
        }
        do {
            let runner = StorageBenchmarkRunner(connection: server.storageConnectionString, server: server)
            say("queue throughput, Swift client, \(concurrency) workers, \(seconds) s")
            let (cycles, cyclesCPU) = try await ProcessCPUTime.measure { try await runner.queueThroughput(workers: concurrency, seconds: seconds) }
            report.swiftCycles = cycles
            report.cpuPerCycle = cyclesCPU / max(1, cycles * seconds)
            say("  \(Int(report.swiftCycles)) cycles/s, \(Int(report.cpuPerCycle * 1e6)) µs CPU per cycle")

            say("queue, batched consumers: \(concurrency / 2) producers, \(concurrency / 2) consumers taking 32 at a time")
            report.batchedMessages = try await runner.batchedThroughput(producers: max(1, concurrency / 2), consumers: max(1, concurrency / 2), seconds: seconds)
            say("  \(Int(report.batchedMessages)) messages/s")

            say("HTTP floor: Put Message-shaped round trips through the same client and server stacks, no storage work, \(concurrency) workers")
            let (floor, floorCPU) = try await ProcessCPUTime.measure { try await HTTPFloor.roundTripsPerSecond(workers: concurrency, seconds: seconds) }
            report.httpFloor = floor
            report.cpuPerFloorRoundTrip = floorCPU / max(1, floor * seconds)
            say("  \(Int(report.httpFloor)) round trips/s, \(Int(report.cpuPerFloorRoundTrip * 1e6)) µs CPU per round trip")

            say("database floor: send + receive + delete straight on the store, no HTTP, \(concurrency) workers")
            let (direct, directCPU) = try await ProcessCPUTime.measure { try await runner.directQueueThroughput(workers: concurrency, seconds: seconds) }
            report.directCycles = direct
            report.cpuPerDirectCycle = directCPU / max(1, direct * seconds)
            say("  \(Int(direct)) cycles/s, \(Int(report.cpuPerDirectCycle * 1e6)) µs CPU per cycle")
            if queueOnly {
                await background.stop()
                return BenchSection(title: "Storage", body: report.markdown(command: "(queue only)"), targets: report.targets)
            }

            say("queue and blob reference, Python SDK")
            report.python = try StorageBenchmarkPython.run(
                interpreter: python, connectionString: server.connectionString, seconds: seconds, workers: concurrency
            )
            if let python = report.python { say("  \(Int(python.cyclesPerSecond)) cycles/s") } else { say("  Python SDK not available: skipped") }

            say("cycle time, 10 waiting")
            report.shallow = try await runner.cycleLatency(preload: 10, cycles: latencyCycles)
            say("  median \(report.shallow.median) ms")
            say("cycle time, \(deepQueue) waiting (preloading…)")
            report.deep = try await runner.cycleLatency(preload: deepQueue, cycles: latencyCycles)
            say("  median \(report.deep.median) ms")
        } catch {
            await background.stop()
            throw error
        }
        await background.stop()
        report.blobs = try await measureBlobs(directory: directory)

        let command = "swift build -c release --product edgefactor-bench && .build/release/edgefactor-bench storage"
            + (seconds == 10 && concurrency == 8 && deepQueue == 1_000_000 ? "" : " --seconds \(seconds) --concurrency \(concurrency) --deep-queue \(deepQueue)")
        return BenchSection(title: "Storage", body: report.markdown(command: command), targets: report.targets)
    }

    /// The blob rows, against `edgefactor storage` in its own process (so its memory can be read).
    private func measureBlobs(directory: String) async throws -> [StorageBlobFigures] {
        let binary = edgefactor ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("edgefactor").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ValidationError("no edgefactor executable at \(binary): build it (swift build -c release) or pass --edgefactor")
        }
        let server = try StorageServerProcess.start(binary: binary, dataDirectory: directory + "/blob-service", maximumBlobSizeMiB: 256)
        defer { server.stop() }
        let benchmark = StorageBlobBenchmark(server: server, python: python, directory: directory)
        var figures: [StorageBlobFigures] = []
        for (size, count) in [(1 << 20, 40), (64 << 20, 3)] {
            say("blob \(size >> 20) MiB × \(count), \(blobRounds) rounds (Swift client, Python SDK, write + fsync)")
            let result = try await benchmark.measure(size: size, count: count, rounds: blobRounds)
            say("  upload \(Int(result.uploadMBps)) MB/s (Python \(Int(result.pythonUploadMBps ?? 0))), download \(Int(result.downloadMBps)) (Python \(Int(result.pythonDownloadMBps ?? 0))), disk \(Int(result.diskWriteMBps)); service peak +\(result.uploadPeakGrowth >> 10) KiB / +\(result.downloadPeakGrowth >> 10) KiB")
            figures.append(result)
        }
        return figures
    }

    private func say(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
