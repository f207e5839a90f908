import Observability
import Prometheus

/// The storage server's metrics, in a registry of its own (several servers may share a process):
/// `edgefactor_storage_http_requests_total{operation,status}` and
/// `edgefactor_storage_http_request_duration_seconds{operation}`.
final class StorageMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let requests: HTTPRequestMetrics

    init() {
        requests = HTTPRequestMetrics(registry: registry, server: "storage")
    }
}
