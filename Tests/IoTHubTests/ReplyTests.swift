@testable import IoTHub
import Testing

/// The session's replies and deadlines, without a socket: what comes first wins, and nobody is
/// left waiting.
@Suite struct ReplyTests {
    struct Refused: Error, Equatable {}

    @Test func anAnswerGivenBeforeTheWaitIsKept() async throws {
        let reply = Reply<Int>()
        reply.succeed(7)
        reply.fail(Refused())  // too late: the first completion stands
        #expect(try await reply.value == 7)
    }

    @Test func aFailureEndsTheWait() async {
        let reply = Reply<Int>()
        let waiter = Task { try await reply.value }
        reply.fail(Refused())
        await #expect(throws: Refused.self) { try await waiter.value }
    }

    @Test func aCancelledWaiterLeavesAtOnce() async {
        let reply = Reply<Int>()
        let waiter = Task { try await reply.value }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        // An answer after the waiter left goes nowhere, and harms nothing.
        reply.succeed(1)
    }

    @Test func theDeadlineEndsAWaitThatGetsNoAnswer() async {
        let reply = Reply<Int>()
        await #expect(throws: IoTHubClientError.timedOut(operation: "test")) {
            try await withDeadline(.now + .milliseconds(20), timeout: IoTHubClientError.timedOut(operation: "test")) {
                try await reply.value
            }
        }
        // The wait was cancelled when the deadline won: the reply is done.
        reply.succeed(3)
    }

    @Test func anAnswerBeforeTheDeadlineIsReturned() async throws {
        let reply = Reply<Int>()
        reply.succeed(5)
        let value = try await withDeadline(.now + .seconds(60), timeout: IoTHubClientError.timedOut(operation: "test")) {
            try await reply.value
        }
        #expect(value == 5)
    }
}
