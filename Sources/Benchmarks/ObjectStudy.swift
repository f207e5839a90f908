import Foundation
import Verification
import Vision

/// The comparisons behind the personal-object figures: templates built as the device builds them,
/// scored against frames they never saw (genuine) and against everything else (impostors).
struct ObjectStudy {
    struct Frame {
        var name: String
        var image: RGBImage
        var embedding: Embedding
        var sharpness: Double
    }

    /// One template's scores.
    struct Scores {
        var object: String
        var views: Int
        var genuine: [Double]
        /// Consecutive impostor frames, one array per source (a video, the photo set).
        var impostorRuns: [[Double]]
        var impostors: [Double] { impostorRuns.flatMap { $0 } }
    }

    let policy: MatchPolicy
    private(set) var scores: [Scores] = []
    private(set) var sampleTemplate: ObjectTemplate?
    private(set) var objectFrameCounts: [String: (enrol: Int, genuine: Int)] = [:]
    /// Enrolment windows refused (too few distinct views), per object: the failure-to-enrol count.
    private(set) var refusedEnrolments: [String: Int] = [:]
    private(set) var attemptedEnrolments = 0

    init(policy: MatchPolicy) {
        self.policy = policy
    }

    /// Enrols `templates` templates from staggered windows of the first 40 % of `frames`.
    mutating func add(object: String, frames: [Frame], impostorSets: [[Embedding]], templates: Int, model: ModelIdentity) throws {
        let split = frames.count * 2 / 5
        let enrolPart = Array(frames[..<split]), genuine = frames[split...].map(\.embedding)
        objectFrameCounts[object] = (split, genuine.count)
        let window = max(8, enrolPart.count * 3 / 5)
        for t in 0..<max(1, templates) {
            attemptedEnrolments += 1
            let start = templates > 1 ? (enrolPart.count - window) * t / (templates - 1) : 0
            var builder = TemplateBuilder()
            for frame in enrolPart[start..<min(enrolPart.count, start + window)] where !builder.isComplete {
                _ = builder.offer(frame.embedding, sharpness: frame.sharpness)
            }
            let template: ObjectTemplate
            do {
                template = try builder.build(id: RandomID.hex128(), name: object, model: model)
            } catch {
                guard case .refused = error else { throw error }
                // As at the device: the person would be asked to enrol again. Counted, not scored.
                refusedEnrolments[object, default: 0] += 1
                continue
            }
            if sampleTemplate == nil { sampleTemplate = template }
            scores.append(Scores(
                object: object, views: template.views.count, genuine: genuine.map(template.similarity),
                impostorRuns: impostorSets.map { $0.map(template.similarity) }))
        }
    }

    var genuineComparisons: Int { scores.reduce(0) { $0 + $1.genuine.count } }
    var impostorComparisons: Int { scores.reduce(0) { $0 + $1.impostors.count } }

    /// Per-frame rates at `threshold`.
    func frameRates(at threshold: Double) -> (far: Double, frr: Double) {
        let falseAccepts = scores.reduce(0) { $0 + $1.impostors.filter { $0 >= threshold }.count }
        let falseRejects = scores.reduce(0) { $0 + $1.genuine.filter { $0 < threshold }.count }
        return (Double(falseAccepts) / Double(max(1, impostorComparisons)), Double(falseRejects) / Double(max(1, genuineComparisons)))
    }

    /// Per-verification rates at `threshold` under the policy's M-of-W rule: every window of W
    /// consecutive frames is one attempt.
    func verificationRates(at threshold: Double) -> (far: Double, frr: Double, impostorAttempts: Int, genuineAttempts: Int) {
        var fa = 0, fr = 0, ia = 0, ga = 0
        for s in scores {
            for w in Self.windows(s.genuine, policy.window) {
                ga += 1
                if w.filter({ $0 >= threshold }).count < policy.requiredFrames { fr += 1 }
            }
            for run in s.impostorRuns {
                for w in Self.windows(run, policy.window) {
                    ia += 1
                    if w.filter({ $0 >= threshold }).count >= policy.requiredFrames { fa += 1 }
                }
            }
        }
        return (Double(fa) / Double(max(1, ia)), Double(fr) / Double(max(1, ga)), ia, ga)
    }

    static func windows(_ values: [Double], _ size: Int) -> [ArraySlice<Double>] {
        guard values.count >= size else { return values.isEmpty ? [] : [values[...]] }
        return (0...(values.count - size)).map { values[$0..<($0 + size)] }
    }

    /// The highest impostor score, and the lowest genuine one.
    var highestImpostor: Double { scores.flatMap(\.impostors).max() ?? 0 }
}
