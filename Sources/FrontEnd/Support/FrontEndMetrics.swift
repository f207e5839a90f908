import Observability
import Prometheus

/// The front-end's metrics, in a registry of its own (several front-ends may share a process):
/// HTTP requests, sign-ins by phase and outcome, each phase's duration, verifications in flight.
final class FrontEndMetrics: Sendable {
    /// How a password phase ended.
    enum PasswordOutcome: String, CaseIterable, Sendable {
        case accepted, rejected, throttled, locked
    }

    let registry: PrometheusCollectorRegistry
    let requests: HTTPRequestMetrics
    /// Second factors under way (sent to the device, result not in yet).
    let verificationsInFlight: Gauge
    private let passwordOutcomes: [PasswordOutcome: Counter]
    private let secondFactorOutcomes: [VerificationPhase: Counter]
    private let passwordDuration: DurationHistogram
    private let secondFactorDuration: DurationHistogram

    init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        requests = HTTPRequestMetrics(registry: registry, server: "frontend")
        verificationsInFlight = registry.makeGauge(descriptor: .edgefactor("frontend", "verifications_in_flight", "", "Second factors under way: sent to the device, no outcome yet."))
        let signIns = MetricNameDescriptor.edgefactor("frontend", "sign_ins", "total", "Sign-in phases finished, by phase (password, second_factor) and outcome.")
        passwordOutcomes = Dictionary(uniqueKeysWithValues: PasswordOutcome.allCases.map {
            ($0, registry.makeCounter(descriptor: signIns, labels: [("phase", "password"), ("outcome", $0.rawValue)]))
        })
        secondFactorOutcomes = Dictionary(uniqueKeysWithValues: VerificationPhase.allCases.filter(\.isTerminal).map {
            ($0, registry.makeCounter(descriptor: signIns, labels: [("phase", "second_factor"), ("outcome", $0.rawValue)]))
        })
        let duration = MetricNameDescriptor.edgefactor("frontend", "sign_in_phase_duration", "seconds", "How long each sign-in phase took, by phase.")
        // One family, so one set of buckets (Prometheus needs them equal across its series): from
        // a throttled refusal (milliseconds) through bcrypt to a device's search (a minute or two).
        let buckets: [Duration] = [
            .milliseconds(1), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
        ]
        passwordDuration = registry.makeDurationHistogram(descriptor: duration, labels: [("phase", "password")], buckets: buckets)
        secondFactorDuration = registry.makeDurationHistogram(descriptor: duration, labels: [("phase", "second_factor")], buckets: buckets)
    }

    func password(_ outcome: PasswordOutcome, since start: ContinuousClock.Instant) {
        passwordOutcomes[outcome]?.increment()
        passwordDuration.record(.now - start)
    }

    func secondFactor(_ phase: VerificationPhase, since start: ContinuousClock.Instant) {
        secondFactorOutcomes[phase]?.increment()
        secondFactorDuration.record(.now - start)
    }
}
