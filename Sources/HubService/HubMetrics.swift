import MQTT
import Observability
import Prometheus

/// The hub's metrics, in a registry of its own (several hubs may share a process). Counters are
/// made once, here, so that counting on the MQTT path is one atomic add, with no label lookup and
/// no string formatting per message.
final class HubMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    /// The service REST API's requests.
    let requests: HTTPRequestMetrics
    /// Live MQTT connections (set from the broker before each scrape).
    let connections: Gauge
    let telemetryReceived: Counter
    let methodRequestsSent: Counter
    let methodResponsesReceived: Counter
    let desiredPatchesSent: Counter
    let twinReadsReceived: Counter
    let methodDuration: DurationHistogram
    private let connects: [String: Counter]
    private let methodCalls: [String: Counter]

    /// The `result` label of `connects_total`: accepted, or why CONNECT was refused.
    static let connectResults = ["accepted", "bad_credentials", "not_authorized", "identifier_rejected", "server_unavailable", "unacceptable_protocol"]
    /// The `result` label of `method_calls_total`: the device's status class, or why it never answered.
    static let methodResults = ["2xx", "3xx", "4xx", "5xx", "other", "offline", "timeout"]

    init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        requests = HTTPRequestMetrics(registry: registry, server: "hub")
        connections = registry.makeGauge(descriptor: .edgefactor("hub", "connections", "", "MQTT connections of devices and modules now."))
        let messages = MetricNameDescriptor.edgefactor("hub", "messages", "total", "MQTT messages, by direction (received from or sent to devices) and kind.")
        telemetryReceived = registry.makeCounter(descriptor: messages, labels: [("direction", "received"), ("kind", "telemetry")])
        methodResponsesReceived = registry.makeCounter(descriptor: messages, labels: [("direction", "received"), ("kind", "method_response")])
        twinReadsReceived = registry.makeCounter(descriptor: messages, labels: [("direction", "received"), ("kind", "twin_get")])
        methodRequestsSent = registry.makeCounter(descriptor: messages, labels: [("direction", "sent"), ("kind", "method_request")])
        desiredPatchesSent = registry.makeCounter(descriptor: messages, labels: [("direction", "sent"), ("kind", "desired_patch")])
        let connect = MetricNameDescriptor.edgefactor("hub", "connects", "total", "MQTT CONNECTs, by result (accepted, or why refused).")
        connects = Dictionary(uniqueKeysWithValues: Self.connectResults.map { ($0, registry.makeCounter(descriptor: connect, labels: [("result", $0)])) })
        let calls = MetricNameDescriptor.edgefactor("hub", "method_calls", "total", "Direct-method calls through the service API, by result (the device's status class, offline or timeout).")
        methodCalls = Dictionary(uniqueKeysWithValues: Self.methodResults.map { ($0, registry.makeCounter(descriptor: calls, labels: [("result", $0)])) })
        methodDuration = registry.makeDurationHistogram(
            descriptor: .edgefactor("hub", "method_call_duration", "seconds", "From a direct-method call to the device's answer (or its end)."),
            buckets: [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                      .milliseconds(500), .seconds(1), .seconds(5), .seconds(30), .seconds(120)])
    }

    func connect(_ decision: HubCore.ConnectDecision) {
        let result = switch decision {
        case .accepted: "accepted"
        case .refused(let code, _): Self.result(of: code)
        }
        connects[result]?.increment()
    }

    /// A CONNECT refused before it could be authenticated (an MQTT version the hub does not speak).
    func connectRefused(_ code: MQTTConnectReturnCode) {
        connects[Self.result(of: code)]?.increment()
    }

    static func result(of code: MQTTConnectReturnCode) -> String {
        switch code {
        case .accepted: "accepted"
        case .badUsernameOrPassword: "bad_credentials"
        case .notAuthorized: "not_authorized"
        case .identifierRejected: "identifier_rejected"
        case .serverUnavailable: "server_unavailable"
        case .unacceptableProtocolVersion: "unacceptable_protocol"
        }
    }

    func methodCall(_ outcome: HubBroker.MethodOutcome, duration: Duration) {
        let result = switch outcome {
        case .offline: "offline"
        case .timeout: "timeout"
        case .response(let status, _):
            switch status {
            case 200..<300: "2xx"
            case 300..<400: "3xx"
            case 400..<500: "4xx"
            case 500..<600: "5xx"
            default: "other"
            }
        }
        methodCalls[result]?.increment()
        methodDuration.record(duration)
    }
}
