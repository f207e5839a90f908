/// A queue message held under a visibility timeout. Its `messageId` stays the same across
/// redeliveries, which is how the agent tells a redelivery from a duplicate.
protocol LeasedMessage: Sendable {
    var messageId: String { get }
}
