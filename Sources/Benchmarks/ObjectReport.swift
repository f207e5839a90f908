import Foundation
import Vision

/// The "## Personal objects" section of docs/benchmarks.md and the DET curve's CSV.
struct ObjectReport {
    let study: ObjectStudy
    let cost: ObjectCost
    let data: String
    let others: Int
    let sameScene: Int

    static let thresholds: [Double] = [0.60, 0.65, 0.70, 0.72, 0.75, 0.80, 0.85, 0.90]

    /// The lowest threshold (in steps of 0.005) at which no impostor verification passes.
    var zeroFalseAcceptThreshold: Double {
        var t = 0.30
        while t < 1, study.verificationRates(at: t).far > 0 { t += 0.005 }
        return t
    }

    var curveCSV: String {
        var lines = ["threshold,far,frr"]
        var t = 0.30
        while t <= 0.995 {
            let r = study.verificationRates(at: t)
            lines.append(String(format: "%.3f,%.8f,%.6f", t, r.far, r.frr))
            t += 0.005
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func percent(_ value: Double) -> String { String(format: "%.2f %%", value * 100) }

    var markdown: String {
        let policy = study.policy
        let first = study.verificationRates(at: policy.threshold)
        let zero = zeroFalseAcceptThreshold
        let atZero = study.verificationRates(at: zero)
        let counts = study.objectFrameCounts.sorted { $0.key < $1.key }
            .map { "\($0.key): \($0.value.enrol) enrolment frames, \($0.value.genuine) genuine frames" }.joined(separator: "; ")
        var lines = [
            "Command: `swift build -c release --product edgefactor-bench && .build/release/edgefactor-bench objects` (after `scripts/setup.sh --test`), then the plotting command it prints (`scripts/plot_det.py`, which draws docs/object-det.png from docs/object-det.csv).",
            "",
            "Data (set-up's `var/objects`, made by `scripts/make-object-data.sh` from registry packages only): two objects filmed while a hand turns them, a black cup (opencv-doc's `cup.mp4`) and a yellow printed box (opencv-doc's `box.mp4`), \(counts); \(others) impostor images: frames of the other videos in opencv-doc (people, a cartoon, a tree), its sample photos (among them another box, `box.png`, and the same box in a scene), and scikit-image's photos (among them an espresso cup, `coffee.png`); and \(sameScene) same-scene impostors, the hardest: each of those photos pasted where the object is in the first frame of each video (another object held in the same place), shown five ways (whole, and four crops of 90–100 %), each one verification attempt.",
            "",
            "Protocol: \(study.attemptedEnrolments) enrolments, each as the device enrols (`TemplateBuilder`, standard policy: sharp, distinct views, at most 5) from a different window of 60 % of the first 40 % of a video; \(study.refusedEnrolments.values.reduce(0, +)) were refused for too few distinct views (failure to enrol: \(study.refusedEnrolments.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ").isEmpty ? "none" : study.refusedEnrolments.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); the person would be asked to turn the object more), leaving \(study.scores.count) templates. Genuine comparisons: every frame of the last 60 % (never seen by any template), \(study.genuineComparisons) in all. Impostor comparisons: every frame of the other object and every impostor image, \(study.impostorComparisons) in all. A verification is \(policy.requiredFrames) matching frames among \(policy.window) consecutive ones (every window of \(policy.window) consecutive frames is one attempt: \(first.genuineAttempts) genuine, \(first.impostorAttempts) impostor). Model: EfficientNet-Lite0's pooled 1280-d features, cosine similarity to the best view.",
            "",
            "| Threshold | FAR per frame | FRR per frame | FAR per verification | FRR per verification |",
            "|---:|---:|---:|---:|---:|",
        ]
        for t in Self.thresholds {
            let f = study.frameRates(at: t), v = study.verificationRates(at: t)
            lines.append("| \(String(format: "%.2f", t))\(t == policy.threshold ? " (default)" : "") | \(percent(f.far)) | \(percent(f.frr)) | \(percent(v.far)) | \(percent(v.frr)) |")
        }
        let bound = 3.0 / Double(max(1, atZero.impostorAttempts))
        lines += [
            "",
            "Highest impostor similarity: \(String(format: "%.3f", study.highestImpostor)). Lowest threshold with no false accept among the \(atZero.impostorAttempts) impostor verifications: \(String(format: "%.3f", zero)), where the FRR per verification is \(percent(atZero.frr)); with no false accept in \(atZero.impostorAttempts) attempts the FAR is below \(String(format: "%.1e", bound)) at 95 % confidence (rule of three).",
            "",
            "Against the FIDO biometric bar (FRR ≤ 3 % at FAR ≤ 1 in 10,000, which needs ≥ 30,000 impostor attempts without a false accept), at the default threshold \(String(format: "%.2f", policy.threshold)) (chosen from this curve and the matching study: the lowest zero-false-accept threshold plus a margin for impostors this data lacks): \(first.far == 0 && first.impostorAttempts >= 30_000 && first.frr <= 0.03 ? "met on this data" : "not shown on this data") — \(Int((first.far * Double(first.impostorAttempts)).rounded())) false accepts in \(first.impostorAttempts) impostor attempts, FRR \(percent(first.frr)). The comparisons are far from independent (overlapping templates of two objects, consecutive frames), and two filmed objects are far too few to claim the bar for objects in general; see [personal-objects.md](personal-objects.md) for what the factor does and does not protect against.",
            "",
            "Cost per frame (one thread, mean of \(cost.frames) interleaved frames, release build): classification alone \(String(format: "%.2f", cost.classifyMilliseconds)) ms; classification with the embedding from the same inference and a \(cost.views)-view template comparison \(String(format: "%.2f", cost.classifyAndMatchMilliseconds)) ms (×\(String(format: "%.2f", cost.ratio))); the comparison alone \(String(format: "%.1f", cost.similarityMicroseconds)) µs.",
            "",
            "![DET curve](object-det.png)",
        ]
        return lines.joined(separator: "\n")
    }
}
