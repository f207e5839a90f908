import Foundation
import Prometheus

/// The agent's Prometheus metrics, in a registry of its own so that several agents (or an agent
/// beside other components) can run in one process without a global metrics bootstrap.
final class AgentMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    let frames: Counter
    let framesPerSecond: Gauge
    let inference: DurationHistogram
    let pending: Gauge
    let succeeded: Counter
    let expired: Counter
    let cameraUnavailable: Counter
    let deadLettered: Counter
    let leftForOthers: Counter
    let endToEnd: DurationHistogram
    let hubConnected: Gauge
    let storageReachable: Gauge
    private let rejectedByReason: [RequestRejection.Reason: Counter]
    private let frameRate = FrameRateMeter()

    init() {
        frames = registry.makeCounter(descriptor: Self.metric("frames", "total", "Frames classified."))
        framesPerSecond = registry.makeGauge(descriptor: Self.metric("frames", "per_second", "Frames classified per second over the last few seconds."))
        inference = registry.makeDurationHistogram(
            descriptor: Self.metric("inference", "seconds", "Time to classify one frame."),
            buckets: [.milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)])
        pending = registry.makeGauge(descriptor: Self.metric("requests_pending", "", "Requests being watched for or being answered."))
        succeeded = registry.makeCounter(descriptor: Self.metric("requests_succeeded", "total", "Requests answered with the object found."))
        expired = registry.makeCounter(descriptor: Self.metric("requests_expired", "total", "Requests answered not found at their expiry."))
        cameraUnavailable = registry.makeCounter(descriptor: Self.metric("requests_camera_unavailable", "total", "Requests answered at once because the camera delivered no frames."))
        deadLettered = registry.makeCounter(descriptor: Self.metric("requests_dead_lettered", "total", "Queue messages moved to the dead-letter queue."))
        leftForOthers = registry.makeCounter(descriptor: Self.metric("messages_left_for_other_devices", "total", "Deliveries of other devices' messages (a shared queue), put back untouched."))
        endToEnd = registry.makeDurationHistogram(
            descriptor: Self.metric("request", "seconds", "From receiving a request to its result being stored."),
            buckets: [.milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30), .seconds(120)])
        hubConnected = registry.makeGauge(descriptor: Self.metric("hub_connected", "", "1 while connected to the IoT hub."))
        storageReachable = registry.makeGauge(descriptor: Self.metric("storage_reachable", "", "1 while the last storage call succeeded."))
        var rejected: [RequestRejection.Reason: Counter] = [:]
        // Other devices' messages are not refused, only left: counted apart.
        for reason in RequestRejection.Reason.allCases where reason != .otherDevice {
            rejected[reason] = registry.makeCounter(
                descriptor: Self.metric("requests_rejected", "total", "Queue messages refused, by reason."), labels: [("reason", reason.rawValue)])
        }
        rejectedByReason = rejected
    }

    /// `edgefactor_agent_<metric>_<unit>`.
    private static func metric(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "edgefactor", subsystem: "agent", metricName: metric, unitName: unit, helpText: help)
    }

    func rejected(_ reason: RequestRejection.Reason) {
        rejectedByReason[reason]?.increment()
    }

    func frameClassified(inference duration: Duration) {
        frames.increment()
        inference.record(duration)
        framesPerSecond.set(to: frameRate.tick())
    }

    /// The metrics in Prometheus text exposition format.
    func exposition() -> String { registry.emitToString() }
}
