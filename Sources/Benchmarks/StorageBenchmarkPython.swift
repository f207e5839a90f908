import Foundation

/// Figures from the official Python SDK against the same server (the reference).
struct StoragePythonFigures: Sendable, Decodable {
    var cyclesPerSecond: Double
    var upload1MiB: Double
    var download1MiB: Double
    var upload64MiB: Double
    var download64MiB: Double
    var sdkVersion: String
}

/// Runs the reference measurements with the Python SDK in a child process.
enum StorageBenchmarkPython {
    static let script = #"""
    import json, os, sys, threading, time
    import azure.storage.queue as q
    from azure.storage.queue import QueueClient
    from azure.storage.blob import BlobServiceClient

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

    container = BlobServiceClient.from_connection_string(cs).create_container("pybench")
    figures = {}
    for size, count, label in [(1 << 20, 40, "1MiB"), (64 << 20, 3, "64MiB")]:
        data = os.urandom(size)
        t0 = time.monotonic()
        for i in range(count):
            container.upload_blob(f"{label}-{i}", data, overwrite=True)
        up = size * count / 1e6 / (time.monotonic() - t0)
        t0 = time.monotonic()
        for i in range(count):
            assert len(container.download_blob(f"{label}-{i}").readall()) == size
        down = size * count / 1e6 / (time.monotonic() - t0)
        figures[label] = (up, down)

    print(json.dumps({"cyclesPerSecond": cycles, "upload1MiB": figures["1MiB"][0], "download1MiB": figures["1MiB"][1],
                      "upload64MiB": figures["64MiB"][0], "download64MiB": figures["64MiB"][1], "sdkVersion": q.__version__}))
    """#

    /// `nil` if the interpreter or the SDK is missing.
    static func run(interpreter: String, connectionString: String, seconds: Double, workers: Int) throws -> StoragePythonFigures? {
        guard FileManager.default.isExecutableFile(atPath: interpreter) else { return nil }
        let scriptPath = FileManager.default.temporaryDirectory.appendingPathComponent("storage-bench-\(UUID().uuidString).py").path
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: scriptPath) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        process.arguments = [scriptPath, connectionString, String(seconds), String(workers)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last else { return nil }
        return try JSONDecoder().decode(StoragePythonFigures.self, from: Data(line.utf8))
    }
}
