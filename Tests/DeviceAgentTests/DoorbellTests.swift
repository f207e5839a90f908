import Testing

@testable import DeviceAgent

/// The agent's loops wake on a Doorbell: a ring is never lost, a wait never outlives its caller.
@Suite struct DoorbellTests {
    @Test func aRingWakesTheWaiter() async {
        let bell = Doorbell()
        let clock = ContinuousClock()
        let start = clock.now
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await bell.wait(upTo: .seconds(600)) }
            // A ring before the wait starts is remembered, so either order ends it.
            group.addTask { bell.ring() }
            await group.waitForAll()
        }
        #expect(clock.now - start < .seconds(600))
    }

    @Test func aRingWithNobodyWaitingIsRememberedOnce() async {
        let bell = Doorbell()
        bell.ring()
        bell.ring()
        let clock = ContinuousClock()
        let start = clock.now
        await bell.wait(upTo: .seconds(600))
        #expect(clock.now - start < .seconds(600))
        // The two rings were one: the next wait runs to its timeout.
        let second = clock.now
        await bell.wait(upTo: .milliseconds(50))
        #expect(clock.now - second >= .milliseconds(50))
    }

    @Test func aWaitEndsAtItsTimeoutAndLeavesTheBellUsable() async {
        let bell = Doorbell()
        await bell.wait(upTo: .milliseconds(20))
        bell.ring()
        let clock = ContinuousClock()
        let start = clock.now
        await bell.wait(upTo: .seconds(600))
        #expect(clock.now - start < .seconds(600))
    }

    @Test func cancellingTheWaiterEndsTheWait() async {
        let bell = Doorbell()
        let clock = ContinuousClock()
        let start = clock.now
        let waiter = Task { await bell.wait(upTo: .seconds(600)) }
        waiter.cancel()
        await waiter.value
        #expect(clock.now - start < .seconds(600))
    }
}
