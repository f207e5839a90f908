import Foundation

/// Figures from the official Python SDK against the same server (the reference).
struct StoragePythonFigures: Sendable, Decodable {
    var cyclesPerSecond: Double
    var sdkVersion: String
}

/// Runs the reference measurements with the Python SDK in a child process.
enum StorageBenchmarkPython {
    static let script = #"""
    import json, os, sys, threading, time
    import azure.storage.queue as q
    from azure.storage.queue import QueueClient

    cs, seconds, workers = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    payload = "x" * 1024
    QueueClient.from_connection_string(cs, "pybench").create_queue()
    counts = [0] * workers
    stop = time.monotonic() + seconds

    def work(i):
        client = QueueClient.from_connection_string(cs, "pybench")
        while time.monotonic() < stop and counts[i] < 1_000_000:
            client.send_message(payload)
            message = client.receive_message()
            if message is not None:
                client.delete_message(message)
            counts[i] += 1

    start = time.monotonic()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads: t.start()
    for t in threads: t.join()
    cycles = sum(counts) / (time.monotonic() - start)

    print(json.dumps({"cyclesPerSecond": cycles, "sdkVersion": q.__version__}))
    """#

    /// Uploads then downloads `count` blobs of `size` bytes with `upload_blob` / `download_blob().readall()`
    /// (the SDK's defaults: up to 64 MiB in one Put Blob); prints MB/s of each.
    static let blobScript = #"""
    import json, os, sys, time
    from azure.storage.blob import BlobServiceClient

    cs, size, count, name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    container = BlobServiceClient.from_connection_string(cs).get_container_client(name)
    if not container.exists():
        container.create_container()
    data = os.urandom(size)
    t0, c0 = time.monotonic(), time.process_time()
    for i in range(count):
        container.upload_blob(f"blob-{i}", data, overwrite=True)
    up, upCPU = size * count / 1e6 / (time.monotonic() - t0), time.process_time() - c0
    print("uploaded", flush=True)
    sys.stdin.readline()
    t0, c0 = time.monotonic(), time.process_time()
    for i in range(count):
        assert len(container.download_blob(f"blob-{i}").readall()) == size
    down, downCPU = size * count / 1e6 / (time.monotonic() - t0), time.process_time() - c0
    print(json.dumps({"upload": up, "download": down, "uploadCPU": upCPU, "downloadCPU": downCPU}))
    """#

    /// MB/s and the SDK process's CPU seconds, and the service's CPU seconds, of each direction.
    struct BlobFigures: Decodable {
        var upload: Double
        var download: Double
        var uploadCPU: Double
        var downloadCPU: Double
        var serviceUploadCPU = 0.0
        var serviceDownloadCPU = 0.0

        enum CodingKeys: String, CodingKey { case upload, download, uploadCPU, downloadCPU }
    }

    /// `nil` if the interpreter or the SDK is missing.
    static func run(interpreter: String, connectionString: String, seconds: Double, workers: Int) throws -> StoragePythonFigures? {
        try run(interpreter: interpreter, script: script, arguments: [connectionString, String(seconds), String(workers)])
    }

    /// One round of ``blobScript``, reading the service's CPU time (`serviceCPU`) around each
    /// direction; `nil` if the interpreter or the SDK is missing.
    static func blobs(
        interpreter: String, connectionString: String, size: Int, count: Int, container: String, serviceCPU: () -> Double
    ) throws -> BlobFigures? {
        guard FileManager.default.isExecutableFile(atPath: interpreter) else { return nil }
        let scriptPath = FileManager.default.temporaryDirectory.appendingPathComponent("storage-bench-\(UUID().uuidString).py").path
        try blobScript.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: scriptPath) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        process.arguments = [scriptPath, connectionString, String(size), String(count), container]
        let output = Pipe(), input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        let startCPU = serviceCPU()
        var text = ""
        while !text.contains("uploaded\n") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let uploadedCPU = serviceCPU()
        input.fileHandleForWriting.write(Data("go\n".utf8))
        let rest = output.fileHandleForReading.readDataToEndOfFile()
        let endCPU = serviceCPU()
        process.waitUntilExit()
        text += String(decoding: rest, as: UTF8.self)
        guard process.terminationStatus == 0, let line = text.split(separator: "\n").last else { return nil }
        var figures = try JSONDecoder().decode(BlobFigures.self, from: Data(line.utf8))
        figures.serviceUploadCPU = uploadedCPU - startCPU
        figures.serviceDownloadCPU = endCPU - uploadedCPU
        return figures
    }

    private static func run<Figures: Decodable>(interpreter: String, script: String, arguments: [String]) throws -> Figures? {
        guard FileManager.default.isExecutableFile(atPath: interpreter) else { return nil }
        let scriptPath = FileManager.default.temporaryDirectory.appendingPathComponent("storage-bench-\(UUID().uuidString).py").path
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: scriptPath) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        process.arguments = [scriptPath] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last else { return nil }
        return try JSONDecoder().decode(Figures.self, from: Data(line.utf8))
    }
}
