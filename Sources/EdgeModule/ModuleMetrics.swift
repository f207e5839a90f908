import IoTHub
import Observability
import Prometheus

/// The edge module's metrics, in a registry of its own (a module and an agent share the demo's
/// process): direct methods served, by method and outcome, and how long each took.
final class ModuleMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let counters: [String: [String: Counter]]
    private let durations: [String: DurationHistogram]

    /// The `method` label: the methods the module serves, anything else is `other`.
    static let methods = ["ProcessRequest", "EnrollObject", "RemoveObject", "RenewStorageAccess", "other"]
    /// The `outcome` label, from the answer's status.
    static let outcomes = ["ok", "bad_request", "not_found", "unavailable", "error"]

    init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        let requests = MetricNameDescriptor.edgefactor("module", "method_requests", "total", "Direct methods served, by method and outcome.")
        var counters: [String: [String: Counter]] = [:]
        var durations: [String: DurationHistogram] = [:]
        let duration = MetricNameDescriptor.edgefactor("module", "method_duration", "seconds", "Time to answer a direct method, by method.")
        for method in Self.methods {
            counters[method] = Dictionary(uniqueKeysWithValues: Self.outcomes.map { outcome in
                (outcome, registry.makeCounter(descriptor: requests, labels: [("method", method), ("outcome", outcome)]))
            })
            durations[method] = registry.makeDurationHistogram(
                descriptor: duration, labels: [("method", method)],
                buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                          .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(10)])
        }
        self.counters = counters
        self.durations = durations
    }

    /// Counts one answered method.
    func served(_ method: String, status: Int, duration: Duration) {
        let name = Self.methods.contains(method) ? method : "other"
        let outcome = switch status {
        case 200..<300: "ok"
        case 400, 401, 403, 409, 413: "bad_request"
        case 404: "not_found"
        case 503: "unavailable"
        default: "error"
        }
        counters[name]?[outcome]?.increment()
        durations[name]?.record(duration)
    }
}
