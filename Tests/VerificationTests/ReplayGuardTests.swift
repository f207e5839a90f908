import Foundation
import TestSupport
import Testing
@testable import Verification

@Suite struct ReplayGuardTests {
    @Test func aNonceIsAdmittedOnce() async throws {
        let guardian = ReplayGuard()
        let now = Date()
        try await guardian.admit("nonce-aaaaaaaaaaaaaaaa", until: now.addingTimeInterval(60), now: now)
        await #expect(throws: VerificationError.replayed) {
            try await guardian.admit("nonce-aaaaaaaaaaaaaaaa", until: now.addingTimeInterval(60), now: now.addingTimeInterval(1))
        }
    }

    @Test func expiredMessagesAreRefusedAndForgotten() async throws {
        let guardian = ReplayGuard(capacity: 2)
        let now = Date()
        await #expect(throws: VerificationError.self) {
            try await guardian.admit("late", until: now.addingTimeInterval(-1), now: now)
        }
        try await guardian.admit("a", until: now.addingTimeInterval(5), now: now)
        try await guardian.admit("b", until: now.addingTimeInterval(5), now: now)
        // Full of live nonces: fail closed.
        await #expect(throws: VerificationError.replayCacheFull) {
            try await guardian.admit("c", until: now.addingTimeInterval(5), now: now)
        }
        // Once they expire, room is made again.
        try await guardian.admit("c", until: now.addingTimeInterval(20), now: now.addingTimeInterval(10))
        #expect(await guardian.count == 1)
    }
}

@Suite struct CanonicalJSONTests {
    @Test func datesReEncodeToTheSameText() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<10_000 {
            let date = Date(timeIntervalSince1970: Double.random(in: 0...4_000_000_000, using: &rng))
            let text = CanonicalJSON.format(date)
            let parsed = try Date(text, strategy: CanonicalJSON.dateStyle)
            #expect(CanonicalJSON.format(parsed) == text)
            #expect(abs(parsed.timeIntervalSince(date)) <= 0.0005 + 1e-6)
        }
    }
}
