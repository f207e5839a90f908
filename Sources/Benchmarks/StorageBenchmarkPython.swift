import Foundation

/// Figures from the official Python SDK against the same server (the reference).
struct StoragePythonFigures: Sendable, Decodable {
    var cyclesPerSecond: Double
    var sdkVersion: String
}

/// Runs the reference measurements with the Python SDK in a child process.
enum StorageBenchmarkPython {
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
        try run(interpreter: interpreter, arguments: ["queue", connectionString, String(seconds), String(workers)])
    }

    /// One round of the script's `blob` command, reading the service's CPU time (`serviceCPU`) around each
    /// direction; `nil` if the interpreter or the SDK is missing.
    static func blobs(
        interpreter: String, connectionString: String, size: Int, count: Int, container: String, serviceCPU: () -> Double
    ) throws -> BlobFigures? {
        guard FileManager.default.isExecutableFile(atPath: interpreter) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        process.arguments = [try BenchmarkScripts.path("bench_storage_sdk.py"), "blob", connectionString, String(size), String(count), container]
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

    private static func run<Figures: Decodable>(interpreter: String, arguments: [String]) throws -> Figures? {
        guard FileManager.default.isExecutableFile(atPath: interpreter) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        process.arguments = [try BenchmarkScripts.path("bench_storage_sdk.py")] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last else { return nil }
        return try JSONDecoder().decode(Figures.self, from: Data(line.utf8))
    }
}
