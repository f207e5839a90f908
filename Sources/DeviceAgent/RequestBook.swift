import Foundation
import Verification
import Vision

/// The agent's pending requests: which classes the camera is watching for, which request a frame
/// satisfies, and which requests reached their deadline.
///
/// A value type with no I/O so that the scheduling rules (one frame serves every pending request,
/// a frame only counts for requests admitted before it was captured, deadlines, capacity) are
/// tested without servers; ``DeviceAgent`` owns one and does the I/O around it.
struct RequestBook<Delivery: LeasedMessage>: Sendable {
    /// Where a pending request is in its life.
    enum Phase: Sendable, Equatable {
        /// The camera is looking for the class.
        case watching
        /// The outcome is decided; the result is being stored.
        case publishing(VerificationOutcome)
    }

    /// One pending request.
    struct Entry: Sendable {
        var request: VerificationRequest
        /// The model's index for the requested class.
        var classIndex: Int
        /// When the request stops being answerable: the earlier of the request's and the queued
        /// envelope's expiry.
        var deadline: Date
        /// When the agent admitted it; frames whose capture started earlier do not count.
        var admittedAt: ContinuousClock.Instant
        /// The latest delivery of its queue message (the lease keeper replaces the pop receipt).
        var delivery: Delivery
        var phase: Phase = .watching
        /// The highest confidence (percent) seen for the class so far, reported in a not-found result.
        var bestConfidence: Double = 0
        /// For a personal object: its template, and the frames matched so far.
        var template: ObjectTemplate?
        var tracker: MatchTracker?

        var requestId: String { request.requestId }
    
    }

    /// A request that a frame satisfied.
    struct Match: Sendable {
        var entry: Entry
        /// The confidence (percent) the frame scored for the requested class.
        var confidence: Double
    }

    enum Admission: Sendable, Equatable {
        /// New request; the camera now watches for its class.
        case admitted
        /// The same queue message again (its visibility timeout lapsed): the newer pop receipt
        /// replaced the older one.
        case redelivered
        /// Another queue message carrying a request that is already pending: a duplicate or a
        /// replay. The book keeps the original; the caller removes the duplicate.
        case duplicate
        /// The book holds `capacity` requests; leave the message on the queue.
        case full
    }

    /// The most requests watched at once.
    let capacity: Int
    private(set) var entries: [String: Entry] = [:]

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { entries.count }
    var isFull: Bool { entries.count >= capacity }
    var freeSlots: Int { max(0, capacity - entries.count) }

    /// Whether any request still needs frames.
    var isWatching: Bool { entries.values.contains { $0.phase == .watching } }

    /// The model classes some watching request needs.
    var watchedClasses: Set<Int> {
        Set(entries.values.lazy.filter { $0.phase == .watching }.map(\.classIndex))
    }

    /// The earliest deadline among watching requests.
    var nextDeadline: Date? {
        entries.values.lazy.filter { $0.phase == .watching }.map(\.deadline).min()
    }

    func entry(_ requestId: String) -> Entry? { entries[requestId] }

    /// Adds a request, or refreshes the delivery of one already pending.
    mutating func admit(
        _ request: VerificationRequest, classIndex: Int, deadline: Date,
        delivery: Delivery, now: ContinuousClock.Instant, template: ObjectTemplate? = nil, matchPolicy: MatchPolicy = .standard
    ) -> Admission {
        if var existing = entries[request.requestId] {
            guard existing.delivery.messageId == delivery.messageId else { return .duplicate }
            existing.delivery = delivery
            entries[request.requestId] = existing
            return .redelivered
        }
        guard !isFull else { return .full }
        var entry = Entry(request: request, classIndex: classIndex, deadline: deadline, admittedAt: now, delivery: delivery)
        if let template {
            entry.template = template
            var policy = matchPolicy
            policy.threshold = request.threshold / 100
            entry.tracker = MatchTracker(policy: policy)
        }
        entries[request.requestId] = entry
        return .admitted
    }

    /// Scores one frame against every watching request admitted before the frame's capture began.
    /// Satisfied requests move to `.publishing(.found)` and are returned; the others remember the
    /// best confidence seen.
    ///
    /// - Parameters:
    ///   - capturedAfter: when the agent asked the camera for this frame.
    ///   - confidence: the frame's confidence in percent for a model class index. Thresholds are
    ///     compared in percent, the unit the result reports, so a result never shows a score below
    ///     its threshold through rounding.
    ///   - similarity: for a personal object, the frame's similarity to the template's views and to
    ///     its empty scene (nil when the frame has no comparable embedding). A template request is
    ///     found once its ``MatchTracker`` is satisfied (several frames, never one); its confidence
    ///     is the lowest similarity among the deciding frames, in percent.
    mutating func match(
        capturedAfter: ContinuousClock.Instant, confidence: (Int) -> Double,
        similarity: (ObjectTemplate) -> (object: Double, emptyScene: Double?)? = { _ in nil }
    ) -> [Match] {
        var matches: [Match] = []
        for (id, var entry) in entries where entry.phase == .watching && entry.admittedAt <= capturedAfter {
            if let template = entry.template, var tracker = entry.tracker {
                guard let score = similarity(template) else { continue }
                tracker.record(similarity: score.object, emptyScene: score.emptyScene)
                entry.tracker = tracker
                entry.bestConfidence = max(entry.bestConfidence, Self.percent(score.object))
                if let deciding = tracker.decidingSimilarity {
                    entry.phase = .publishing(.found)
                    matches.append(Match(entry: entry, confidence: Self.percent(deciding)))
                }
                entries[id] = entry
                continue
            }
            let score = confidence(entry.classIndex)
            entry.bestConfidence = max(entry.bestConfidence, score)
            if score >= entry.request.threshold {
                entry.phase = .publishing(.found)
                matches.append(Match(entry: entry, confidence: score))
            }
            entries[id] = entry
        }
        return matches.sorted { $0.entry.deadline < $1.entry.deadline }
    }

    /// A similarity as the percentage results report (0…100).
    static func percent(_ similarity: Double) -> Double { min(100, max(0, similarity * 100)) }

    /// Watching requests whose deadline has passed; they move to `.publishing(.notFound)`.
    mutating func expire(now: Date) -> [Entry] {
        var expired: [Entry] = []
        for (id, var entry) in entries where entry.phase == .watching && entry.deadline <= now {
            entry.phase = .publishing(.notFound)
            entries[id] = entry
            expired.append(entry)
        }
        return expired.sorted { $0.deadline < $1.deadline }
    }

    /// Marks a request decided without frames (for example, a class the model does not know).
    mutating func decide(_ requestId: String, outcome: VerificationOutcome) -> Entry? {
        guard var entry = entries[requestId], entry.phase == .watching else { return nil }
        entry.phase = .publishing(outcome)
        entries[requestId] = entry
        return entry
    }

    /// Records the delivery returned by a visibility update.
    mutating func updateDelivery(_ requestId: String, to delivery: Delivery) {
        guard var entry = entries[requestId], entry.delivery.messageId == delivery.messageId else { return }
        entry.delivery = delivery
        entries[requestId] = entry
    }

    /// Forgets a request (its result is stored, or its lease is released).
    @discardableResult
    mutating func remove(_ requestId: String) -> Entry? {
        entries.removeValue(forKey: requestId)
    }

    /// Points every watching request at its class in a newly loaded model (`index` gives nil, stored
    /// as -1, when the new model lacks the class: the request then ends not found at its deadline).
    mutating func reindex(_ index: (String) -> Int?) {
        for (id, var entry) in entries where entry.phase == .watching && entry.template == nil {
            entry.classIndex = index(entry.request.className) ?? -1
            entries[id] = entry
        }
    }

    /// Every pending delivery, for the lease keeper.
    var deliveries: [(requestId: String, delivery: Delivery)] {
        entries.values.map { ($0.requestId, $0.delivery) }
    }
}
