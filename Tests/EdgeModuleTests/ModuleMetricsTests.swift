import EdgeModule
import Foundation
import IoTHub
import Observability
import TestSupport
import Testing
import Verification

@Suite("Edge module metrics and readiness")
struct ModuleMetricsTests {
    @Test("methods are counted by method and outcome; /readyz follows the hub and the queue")
    func methodsAndReadiness() async throws {
        try await ModuleHarness.run(name: "metrics") { rig in
            let module = rig.start(secret: SharedSecret.generate()) { $0.healthEndpoint = OperatorEndpoint(port: 0) }
            let port = try #require(await module.healthPort(), "the health endpoint did not start")
            try await rig.poll { try await RawHTTP.get(port: port, "/readyz").status == 200 }
            #expect(try await RawHTTP.get(port: port, "/readyz").body == #"{"ready":true,"hub":true,"queue":true}"#)

            let bad = try await rig.service.invokeMethod(deviceId: "dev1", moduleId: "mod1", methodName: "ProcessRequest", payload: Data(#"{"not":"a request"}"#.utf8))
            #expect(bad.status == 400)
            let unknown = try await rig.service.invokeMethod(deviceId: "dev1", moduleId: "mod1", methodName: "Reboot", payload: Data("{}".utf8))
            #expect(unknown.status == 404)

            let metrics = try PrometheusText(parsing: try await RawHTTP.get(port: port, "/metrics").body)
            let requests = "edgefactor_module_method_requests_total"
            #expect(metrics.value(requests, ["method": "ProcessRequest", "outcome": "bad_request"]) == 1)
            #expect(metrics.value(requests, ["method": "ProcessRequest", "outcome": "ok"]) == 0)
            #expect(metrics.value(requests, ["method": "other", "outcome": "not_found"]) == 1)
            #expect(metrics.value("edgefactor_module_method_duration_seconds_count", ["method": "ProcessRequest"]) == 1)

            await rig.stopStorage()
            let ready = try await RawHTTP.get(port: port, "/readyz")
            #expect(ready.status == 503)
            #expect(ready.body == #"{"ready":false,"hub":true,"queue":false}"#)
        }
    }
}
