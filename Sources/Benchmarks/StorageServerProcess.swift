import AzureStorage
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `edgefactor storage` in a process of its own, so its memory can be read while blobs move.
final class StorageServerProcess {
    let process: Process
    let connectionString: String

    private init(process: Process, connectionString: String) {
        self.process = process
        self.connectionString = connectionString
    }

    /// Starts the service on free loopback ports with `dataDirectory`; waits for its connection string.
    static func start(binary: String, dataDirectory: String, maximumBlobSizeMiB: Int) throws -> StorageServerProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["storage", "--data-dir", dataDirectory, "--blob-port", "0", "--queue-port", "0",
                             "--max-blob-size-mib", String(maximumBlobSizeMiB), "--log-level", "error"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let marker = "connection string "
        while process.isRunning || !text.isEmpty {
            let chunk = pipe.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.contains(marker) }),
               let range = line.range(of: marker) {
                return StorageServerProcess(process: process, connectionString: String(line[range.upperBound...]))
            }
        }
        process.terminate()
        throw StorageError(status: 0, code: "BenchmarkFailed", message: "edgefactor storage did not print its connection string (\(text.prefix(300)))")
    }

    /// Resident memory now (VmRSS) and its peak since the last ``resetPeak()`` (VmHWM), in bytes.
    var memory: (resident: Int, peak: Int) {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }),
                  let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
            else { return 0 }
            return kilobytes * 1024
        }
        return (field("VmRSS:"), field("VmHWM:"))
    }

    /// CPU seconds (user + system, all threads) the service has used so far.
    var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return 0 }
        // After "pid (comm)": state is field 3, utime and stime fields 14 and 15, in clock ticks.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Sets the peak (VmHWM) to the current resident size (Linux `clear_refs` 5).
    func resetPeak() {
        let fd = open("/proc/\(process.processIdentifier)/clear_refs", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = write(fd, "5", 1)
        close(fd)
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
