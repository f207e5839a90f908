import Logging
import Observability
import Prometheus
import Synchronization
import TestSupport
import Testing

@Suite("Operator server")
struct OperatorServerTests {
    @Test("/healthz, /readyz (200, then 503 when a check fails) and a strictly valid /metrics")
    func endpoints() async throws {
        let registry = PrometheusCollectorRegistry()
        let counter = registry.makeCounter(descriptor: .edgefactor("test", "things", "total", "Things counted."), labels: [("kind", "a")])
        counter.increment(by: Int64(3))
        let dependency = Mutex(true)
        let scrapes = Mutex(0)
        let server = OperatorServer(
            endpoint: OperatorEndpoint(host: "127.0.0.1", port: 0), registry: registry, logger: Logger(label: "test"),
            beforeScrape: { scrapes.withLock { $0 += 1 } },
            readiness: { Readiness([.init("dependency", dependency.withLock { $0 })]) })
        let task = Task { await server.run() }
        defer { task.cancel() }
        let port = try #require(await server.boundPort())

        let health = try await RawHTTP.get(port: port, "/healthz")
        #expect(health.status == 200)
        #expect(health.body == #"{"status":"ok"}"#)

        var ready = try await RawHTTP.get(port: port, "/readyz")
        #expect(ready.status == 200)
        #expect(ready.body == #"{"ready":true,"dependency":true}"#)
        dependency.withLock { $0 = false }
        ready = try await RawHTTP.get(port: port, "/readyz")
        #expect(ready.status == 503)
        #expect(ready.body == #"{"ready":false,"dependency":false}"#)

        let metrics = try await RawHTTP.get(port: port, "/metrics")
        #expect(metrics.status == 200)
        let exposition = try PrometheusText(parsing: metrics.body)
        #expect(exposition.types["edgefactor_test_things_total"] == "counter")
        #expect(exposition.help["edgefactor_test_things_total"] == "Things counted.")
        #expect(exposition.value("edgefactor_test_things_total", ["kind": "a"]) == 3)
        #expect(scrapes.withLock { $0 } == 1)
        #expect(try await RawHTTP.get(port: port, "/other").status == 404)
    }

    @Test("a port already taken is a warning, and the server goes on without the endpoint")
    func portTaken() async throws {
        let first = OperatorServer(
            endpoint: OperatorEndpoint(host: "127.0.0.1", port: 0), registry: PrometheusCollectorRegistry(), logger: Logger(label: "test"),
            readiness: { Readiness([]) })
        let running = Task { await first.run() }
        defer { running.cancel() }
        let port = try #require(await first.boundPort())

        let log = CapturedLog()
        let second = OperatorServer(
            endpoint: OperatorEndpoint(host: "127.0.0.1", port: port), registry: PrometheusCollectorRegistry(), logger: log.logger(),
            readiness: { Readiness([]) })
        await second.run()  // returns instead of throwing
        #expect(await second.boundPort() == nil)
        #expect(log.all.contains { $0.level == .warning && $0.message.contains("cannot serve /healthz") && $0.message.contains("\(port)") })
    }

    @Test("request metrics count by operation and status; the exposition stays strictly valid")
    func requestMetrics() throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = HTTPRequestMetrics(registry: registry, server: "test")
        for _ in 0..<3 { metrics.record(operation: "put-message", status: 201, duration: .milliseconds(2)) }
        metrics.record(operation: "put-message", status: 403, duration: .milliseconds(1))
        metrics.record(operation: "GET /a/{id}", status: 200, duration: .seconds(3))
        let exposition = try PrometheusText(parsing: registry.emitToString())
        #expect(exposition.value("edgefactor_test_http_requests_total", ["operation": "put-message", "status": "201"]) == 3)
        #expect(exposition.value("edgefactor_test_http_requests_total", ["operation": "put-message", "status": "403"]) == 1)
        #expect(exposition.value("edgefactor_test_http_request_duration_seconds_count", ["operation": "put-message"]) == 4)
        #expect(exposition.value("edgefactor_test_http_request_duration_seconds_bucket", ["operation": "GET /a/{id}", "le": "2.0"]) == 0)
        #expect(exposition.value("edgefactor_test_http_request_duration_seconds_bucket", ["operation": "GET /a/{id}", "le": "+Inf"]) == 1)
    }

    @Test("the access log drops the query string, whatever it carries")
    func accessLogPath() {
        let log = CapturedLog()
        let access = AccessLog(logger: log.logger())
        access.record(method: "GET", path: "/acct/c/b?sv=2023&sig=c2VjcmV0&se=2030", status: 200, duration: .milliseconds(3), bytes: 10, operation: "get-blob")
        access.record(method: "PUT", path: "/acct/q/messages#frag", status: 201, duration: .microseconds(5), bytes: nil, operation: nil)
        let lines = log.all
        #expect(lines.count == 2)
        #expect(lines[0].message == "GET /acct/c/b 200")
        #expect(lines[0].metadata["bytes"] == "10")
        #expect(lines[0].metadata["operation"] == "get-blob")
        #expect(lines[0].metadata["duration_ms"] == "3.0")
        #expect(lines[1].message == "PUT /acct/q/messages 201")
        #expect(lines.allSatisfy { $0.level == .info && !$0.text.contains("sig=") && !$0.text.contains("?") })
    }
}
