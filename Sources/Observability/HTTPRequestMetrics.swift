package import Prometheus
import Synchronization

/// `edgefactor_<server>_http_requests_total{operation,status}` and
/// `edgefactor_<server>_http_request_duration_seconds{operation}` in one server's registry.
///
/// `operation` must come from a bounded set (a route pattern, a storage operation's name), never
/// from the raw path: every distinct value is a time series kept for ever.
package final class HTTPRequestMetrics: Sendable {
    private struct Key: Hashable {
        var operation: String
        var status: Int
    }

    private let registry: PrometheusCollectorRegistry
    private let requestsName: String
    private let durationName: String
    private let counters = Mutex<[Key: Counter]>([:])
    private let histograms = Mutex<[String: DurationHistogram]>([:])

    /// Buckets from a millisecond (a queue message) to half a minute (a direct method).
    static let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30),
    ]

    /// - Parameters:
    ///   - registry: the server's registry.
    ///   - server: the name in the metric names (`storage`, `hub`, `frontend`).
    package init(registry: PrometheusCollectorRegistry, server: String) {
        self.registry = registry
        requestsName = "edgefactor_\(server)_http_requests_total"
        durationName = "edgefactor_\(server)_http_request_duration_seconds"
    }

    /// Counts one answered request and records how long it took to produce its response.
    package func record(operation: String, status: Int, duration: Duration) {
        let key = Key(operation: operation, status: status)
        let counter = counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    metricName: requestsName, unitName: "", helpText: "HTTP requests answered, by operation and status code."),
                labels: [("operation", operation), ("status", String(status))])
            counters[key] = counter
            return counter
        }
        counter.increment()
        let histogram = histograms.withLock { histograms in
            if let histogram = histograms[operation] { return histogram }
            let histogram = registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(
                    metricName: durationName, unitName: "", helpText: "Time from a request's head to its response being ready, by operation."),
                labels: [("operation", operation)], buckets: Self.buckets)
            histograms[operation] = histogram
            return histogram
        }
        histogram.record(duration)
    }
}
