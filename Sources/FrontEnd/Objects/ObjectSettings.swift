public import Foundation

/// How personal objects are enrolled and challenged.
public struct ObjectSettings: Sendable, Equatable {
    /// The similarity, in percent, each matching frame must reach in a sign-in challenge: 72 by
    /// default, the device's own default (`MatchPolicy.standard`, 0.72), chosen from the matching
    /// study's DET curve (docs/benchmarks.md).
    public var threshold: Double
    /// Distinct views an enrolment asks the device to keep (3–12).
    public var views: Int
    /// How long the device captures for an enrolment, in seconds (2–60).
    public var captureSeconds: Double
    /// How long `EnrollObject` and `RemoveObject` may take to be answered.
    var methodTimeout: Duration
    /// Extra time after the enrolment's expiry to wait for a result already on its way.
    var resultGrace: TimeInterval
    var initialPollInterval: Duration
    var maximumPollInterval: Duration
    /// Largest thumbnail accepted.
    var maximumThumbnailSize: Int

    public init(
        threshold: Double = 72, views: Int = 5, captureSeconds: Double = 12, methodTimeout: Duration = .seconds(30),
        resultGrace: TimeInterval = 5, initialPollInterval: Duration = .milliseconds(200), maximumPollInterval: Duration = .seconds(1),
        maximumThumbnailSize: Int = 512 * 1024
    ) {
        self.threshold = threshold
        self.views = views
        self.captureSeconds = captureSeconds
        self.methodTimeout = methodTimeout
        self.resultGrace = resultGrace
        self.initialPollInterval = initialPollInterval
        self.maximumPollInterval = maximumPollInterval
        self.maximumThumbnailSize = maximumThumbnailSize
    }
}
