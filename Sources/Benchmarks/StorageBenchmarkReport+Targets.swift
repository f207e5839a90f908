import Foundation

extension StorageBenchmarkReport {
    /// Issue 16's storage rows: queue cycles against the HTTP floor, and the 64 MiB upload.
    var targets: [BenchTarget] {
        var rows: [BenchTarget] = []
        let floorCycles = httpFloor / 3
        let queue = swiftCycles / floorCycles
        rows.append(BenchTarget(
            measurement: "Queue cycles/s vs the HTTP floor ÷ 3 (Storage)",
            measured: "\(BenchTarget.ratio(queue)) (\(Int(swiftCycles)) against \(Int(floorCycles)))",
            target: "≥ 0.8×",
            verdict: queue >= 0.8 ? "met" : combinedFloor / floorCycles < 0.8
                ? String(format: "not reachable with the queue's database work: the HTTP floor and that work alone (send + receive + delete on the store) back to back reach %@ of the HTTP floor ÷ 3; the queue %@ of that floor",
                         BenchTarget.ratio(combinedFloor / floorCycles), BenchTarget.ratio(swiftCycles / combinedFloor))
                : String(format: "not met: %.0f µs of CPU per queue request (client and service) against %.0f µs per empty round trip of the same stacks",
                         cpuPerCycle / 3 * 1e6, cpuPerFloorRoundTrip * 1e6)))
        guard let large = blobs.max(by: { $0.size < $1.size }) else { return rows }
        let label = "\(large.size >> 20) MiB"
        if let python = large.pythonUploadMBps {
            let ratio = large.uploadMBps / python
            rows.append(BenchTarget(
                measurement: "Blob upload \(label) vs the Python SDK (Storage)",
                measured: String(format: "%@ (%.0f against %.0f MB/s)", BenchTarget.ratio(ratio), large.uploadMBps, python),
                target: "≥ 1.0×",
                verdict: ratio >= 1 ? "met" : String(
                    format: "not met: CPU per MB, client + service, %.2f + %.2f ms against the SDK's %.2f + %.2f ms",
                    large.cpu.swiftUpload.client, large.cpu.swiftUpload.service, large.cpu.pythonUpload.client, large.cpu.pythonUpload.service)))
        }
        let disk = large.uploadMBps / large.diskWriteMBps, floor = large.floorMBps / large.diskWriteMBps
        rows.append(BenchTarget(
            measurement: "Blob upload \(label) vs write + fsync (Storage)",
            measured: String(format: "%@ (%.0f against %.0f MB/s)", BenchTarget.ratio(disk), large.uploadMBps, large.diskWriteMBps),
            target: "≥ 0.8×",
            verdict: disk >= 0.8 ? "met" : floor < 0.8
                ? String(format: "not reachable here: the service's own work on the bytes alone (MD5 + write + fsync) runs at %@ of write + fsync, and the upload at %@ of that floor",
                         BenchTarget.ratio(floor), BenchTarget.ratio(large.uploadMBps / large.floorMBps))
                : "not met"))
        let growth = Double(large.uploadPeakGrowth) / Double(large.size)
        rows.append(BenchTarget(
            measurement: "Service peak memory growth during a \(label) upload (Storage)",
            measured: String(format: "%.1f MiB (%@ of the blob)", Double(large.uploadPeakGrowth) / 1_048_576, BenchTarget.ratio(growth)),
            target: "never holds the blob",
            verdict: growth < 0.25 ? "met" : "not met"))
        return rows
    }
}
