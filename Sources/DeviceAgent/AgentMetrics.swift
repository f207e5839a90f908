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
    let deadLettered: Counter
    let endToEnd: DurationHistogram
    let hubConnected: Gauge
    let storageReachable: Gauge
    private let rejectedByReason: [RequestRejection.Reason: Counter]
    private let frameRate = FrameRateMeter()

    init() {
        frames = registry.makeCounter(name: "edgefactor_agent_frames_total", help: "Frames classified.")
        framesPerSecond = registry.makeGauge(name: "edgefactor_agent_frames_per_second", help: "Frames classified per second over the last few seconds.")
        inference = registry.makeDurationHistogram(
            name: "edgefactor_agent_inference_seconds",
            buckets: [.milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)],
            help: "Time to classify one frame.")
        pending = registry.makeGauge(name: "edgefactor_agent_requests_pending", help: "Requests being watched for or being answered.")
        succeeded = registry.makeCounter(name: "edgefactor_agent_requests_succeeded_total", help: "Requests answered with the object found.")
        expired = registry.makeCounter(name: "edgefactor_agent_requests_expired_total", help: "Requests answered not found at their expiry.")
        deadLettered = registry.makeCounter(name: "edgefactor_agent_requests_dead_lettered_total", help: "Queue messages moved to the dead-letter queue.")
        endToEnd = registry.makeDurationHistogram(
            name: "edgefactor_agent_request_seconds",
            buckets: [.milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30), .seconds(120)],
            help: "From receiving a request to its result being stored.")
        hubConnected = registry.makeGauge(name: "edgefactor_agent_hub_connected", help: "1 while connected to the IoT hub.")
        storageReachable = registry.makeGauge(name: "edgefactor_agent_storage_reachable", help: "1 while the last storage call succeeded.")
        var rejected: [RequestRejection.Reason: Counter] = [:]
        for reason in RequestRejection.Reason.allCases {
            rejected[reason] = registry.makeCounter(
                name: "edgefactor_agent_requests_rejected_total", labels: [("reason", reason.rawValue)],
                help: "Queue messages refused, by reason.")
        }
        rejectedByReason = rejected
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
