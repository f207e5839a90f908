import Foundation

extension StorageBenchmarkReport {
    /// What the queue rows say against their floors, and what changed for them (issue 16).
    var queueReading: String {
        func f(_ value: Double) -> String { String(format: "%.0f", value) }
        func r(_ value: Double) -> String { String(format: "%.2f×", value) }
        let floorCycles = httpFloor / 3
        return """
            Reading (queue): a cycle's three requests cost \(f(cpuPerCycle / 3 * 1e6)) µs of CPU each, client and service together, \
            against \(f(cpuPerFloorRoundTrip * 1e6)) µs for an empty round trip of the same HTTP stacks. The queue's database work \
            done alone (send, receive and delete on the service's store, no HTTP) costs \(f(cpuPerDirectCycle * 1e6)) µs per cycle \
            and runs at \(f(directCycles)) cycles/s; the HTTP floor and that work back to back reach \(f(combinedFloor)) cycles/s, \
            \(r(combinedFloor / floorCycles)) of the HTTP floor ÷ 3\(combinedFloor / floorCycles < 0.8 ? ", so 0.8× of it cannot be reached while every request is a committed SQLite transaction on these stacks and cores" : ""); \
            the queue reaches \(r(swiftCycles / combinedFloor)) of that floor. The rest is the service's own request handling \
            (Shared Key check, parsing, XML) and the client's (signing, XML), and the thread hops between NIO's event loops, \
            Swift's cooperative threads and the database writer, which the kernel's context switches show in the profile.

            What changed (issue 16, 2026-12-03), from `perf` profiles of the release build: queue writes that arrive \
            together share one transaction (`GroupCommit`, each write in a savepoint, answered after the commit), and a write \
            that finds the writer idle runs on its caller's thread without the hop to GRDB's writer thread and back; in \
            side-by-side runs of the database work alone (8 workers) its CPU per cycle fell from 240–280 to 150–200 µs. With \
            HTTP in front, two cores rarely bring writes to the writer together, and the queue's cycles/s moved within this \
            machine's noise (identical runs today differed by up to 30 %). The Shared Key check compared the MAC through a \
            generic function across a module boundary, which cost more than computing the MAC (2.4 % of the process's CPU in \
            the profile); it and the percent-encoder are inlinable now, the HMAC is keyed once per credential, and the header \
            names the check looks up are validated once.
            """
    }
}
