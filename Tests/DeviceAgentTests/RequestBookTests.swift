import Foundation
import Testing
import Verification

@testable import DeviceAgent

/// The scheduling rules, without servers: one frame serves every pending request, frames count only
/// for requests admitted before them, deadlines, capacity, redelivery versus duplicate.
@Suite struct RequestBookTests {
    struct Lease: LeasedMessage {
        var messageId: String
        var receipt: Int = 0
    }

    static func request(_ className: String, threshold: Double = 70, lifetime: TimeInterval = 60, now: Date = Date()) throws -> VerificationRequest {
        try VerificationRequest.make(deviceId: "dev1", moduleId: nil, className: className, threshold: threshold, lifetime: .seconds(lifetime), now: now)
    }

    @Test func oneFrameServesEveryPendingRequest() throws {
        var book = RequestBook<Lease>(capacity: 8)
        let t0 = ContinuousClock.now
        let cat = try Self.request("tabby", threshold: 50)
        let cat2 = try Self.request("tabby", threshold: 90)
        let cup = try Self.request("espresso", threshold: 60)
        #expect(book.admit(cat, classIndex: 281, deadline: cat.expiresAt, delivery: Lease(messageId: "a"), now: t0) == .admitted)
        #expect(book.admit(cat2, classIndex: 281, deadline: cat2.expiresAt, delivery: Lease(messageId: "b"), now: t0) == .admitted)
        #expect(book.admit(cup, classIndex: 967, deadline: cup.expiresAt, delivery: Lease(messageId: "c"), now: t0) == .admitted)
        #expect(book.watchedClasses == [281, 967])

        let scores: [Int: Double] = [281: 75, 967: 61]
        let matches = book.match(capturedAfter: t0 + .milliseconds(1)) { scores[$0] ?? 0 }
        #expect(Set(matches.map(\.entry.requestId)) == [cat.requestId, cup.requestId])
        #expect(matches.first { $0.entry.requestId == cup.requestId }?.confidence == 61)
        // The 90 % request keeps watching and remembers its best score.
        #expect(book.isWatching)
        #expect(book.watchedClasses == [281])
        #expect(book.entry(cat2.requestId)?.bestConfidence == 75)
        #expect(book.entry(cat.requestId)?.phase == .publishing(.found))
    }

    @Test func thresholdIsInclusiveAndComparedInPercent() throws {
        var book = RequestBook<Lease>(capacity: 2)
        let t0 = ContinuousClock.now
        let request = try Self.request("tabby", threshold: 70)
        _ = book.admit(request, classIndex: 1, deadline: request.expiresAt, delivery: Lease(messageId: "a"), now: t0)
        #expect(book.match(capturedAfter: t0) { _ in 69.999 }.isEmpty)
        let matches = book.match(capturedAfter: t0) { _ in 70 }
        #expect(matches.count == 1)
        #expect(matches[0].confidence >= request.threshold)
    }

    @Test func framesCapturedBeforeAdmissionDoNotCount() throws {
        var book = RequestBook<Lease>(capacity: 2)
        let t0 = ContinuousClock.now
        let request = try Self.request("tabby")
        _ = book.admit(request, classIndex: 1, deadline: request.expiresAt, delivery: Lease(messageId: "a"), now: t0)
        #expect(book.match(capturedAfter: t0 - .milliseconds(5)) { _ in 100 }.isEmpty)
        #expect(book.entry(request.requestId)?.bestConfidence == 0)
        #expect(book.match(capturedAfter: t0) { _ in 100 }.count == 1)
    }

    @Test func deadlinesExpireOnlyWatchingRequestsInOrder() throws {
        var book = RequestBook<Lease>(capacity: 4)
        let now = Date()
        let t0 = ContinuousClock.now
        let early = try Self.request("tabby", lifetime: 5, now: now)
        let late = try Self.request("tabby", lifetime: 50, now: now)
        let found = try Self.request("espresso", lifetime: 1, now: now)
        _ = book.admit(late, classIndex: 1, deadline: late.expiresAt, delivery: Lease(messageId: "l"), now: t0)
        _ = book.admit(early, classIndex: 1, deadline: early.expiresAt, delivery: Lease(messageId: "e"), now: t0)
        _ = book.admit(found, classIndex: 2, deadline: found.expiresAt, delivery: Lease(messageId: "f"), now: t0)
        _ = book.match(capturedAfter: t0) { $0 == 2 ? 99 : 0 }
        #expect(book.nextDeadline == early.expiresAt)
        #expect(book.expire(now: now.addingTimeInterval(4)).isEmpty)
        let expired = book.expire(now: now.addingTimeInterval(60))
        #expect(expired.map(\.requestId) == [early.requestId, late.requestId])
        #expect(expired.allSatisfy { $0.phase == .publishing(.notFound) })
        #expect(!book.isWatching)
        #expect(book.nextDeadline == nil)
        // Decided requests are not expired twice.
        #expect(book.expire(now: now.addingTimeInterval(120)).isEmpty)
    }

    @Test func capacityRedeliveryAndDuplicates() throws {
        var book = RequestBook<Lease>(capacity: 1)
        let t0 = ContinuousClock.now
        let first = try Self.request("tabby")
        let second = try Self.request("espresso")
        #expect(book.admit(first, classIndex: 1, deadline: first.expiresAt, delivery: Lease(messageId: "m1"), now: t0) == .admitted)
        #expect(book.admit(second, classIndex: 2, deadline: second.expiresAt, delivery: Lease(messageId: "m2"), now: t0) == .full)
        #expect(book.freeSlots == 0)
        // Same message again (lease lapsed): newer receipt kept.
        #expect(book.admit(first, classIndex: 1, deadline: first.expiresAt, delivery: Lease(messageId: "m1", receipt: 2), now: t0) == .redelivered)
        #expect(book.entry(first.requestId)?.delivery.receipt == 2)
        // Another message with the same request: duplicate, original kept.
        #expect(book.admit(first, classIndex: 1, deadline: first.expiresAt, delivery: Lease(messageId: "m9"), now: t0) == .duplicate)
        #expect(book.entry(first.requestId)?.delivery.messageId == "m1")
        book.updateDelivery(first.requestId, to: Lease(messageId: "m1", receipt: 3))
        #expect(book.deliveries.map(\.delivery.receipt) == [3])
        #expect(book.remove(first.requestId) != nil)
        #expect(book.count == 0)
        #expect(book.admit(second, classIndex: 2, deadline: second.expiresAt, delivery: Lease(messageId: "m2"), now: t0) == .admitted)
    }

    @Test func decideWithoutFrames() throws {
        var book = RequestBook<Lease>(capacity: 2)
        let request = try Self.request("unicorn")
        _ = book.admit(request, classIndex: -1, deadline: request.expiresAt, delivery: Lease(messageId: "a"), now: .now)
        #expect(book.decide(request.requestId, outcome: .notFound)?.phase == .publishing(.notFound))
        #expect(book.decide(request.requestId, outcome: .notFound) == nil)
        #expect(!book.isWatching)
    }
}
