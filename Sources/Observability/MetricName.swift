package import Prometheus

extension MetricNameDescriptor {
    /// `edgefactor_<server>_<metric>_<unit>` with its help text: the one naming rule of every
    /// EdgeFactor metric (counters end in `_total`, durations in `_seconds`).
    package static func edgefactor(_ server: String, _ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "edgefactor", subsystem: server, metricName: metric, unitName: unit, helpText: help)
    }
}
