import Foundation

extension FlowReport {
    /// Issue 16's flow row: the median request against the steps it cannot avoid.
    var targets: [BenchTarget] {
        let base = Self.percentile(baseline, 50), p50 = woken.percentile(50)
        let ratio = p50 / base
        return [BenchTarget(
            measurement: "Flow p50 vs the unavoidable steps back to back (Flow)",
            measured: String(format: "%@ (%.1f against %.1f ms)", BenchTarget.ratio(ratio), p50, base),
            target: "≤ 1.25×",
            verdict: ratio <= 1.25 ? "met" : "not met: " + largestGaps())]
    }

    /// The stages where the flow spends most beyond the baseline's same steps, largest first.
    private func largestGaps() -> String {
        let names = ["invoke": "the ProcessRequest round trip", "watch": "the watch", "inference": "inference within it",
                     "upload": "the uploads", "encode": "encoding", "queue": "the queue hand-over"]
        var gaps = stages.compactMap { key, value -> (String, Double)? in
            guard let name = names[key], let reference = baselineStages[key] else { return nil }
            return (name, value - reference)
        }
        if let reference = baselineStages["invoke"] { gaps.append((names["invoke"] ?? "invoke", Self.mean(woken.invoke) - reference)) }
        let largest = gaps.filter { $0.1 > 0.5 }.sorted { $0.1 > $1.1 }.prefix(3)
        guard !largest.isEmpty else { return "no single stage stands out (see Flow)" }
        return largest.map { String(format: "%@ +%.1f ms", $0.0, $0.1) }.joined(separator: ", ") + " against the baseline's same steps (see Flow)"
    }
}
