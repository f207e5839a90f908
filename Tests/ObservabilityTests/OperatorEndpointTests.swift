import Observability
import Testing

@Suite("Operator endpoint addresses")
struct OperatorEndpointTests {
    @Test("host:port, [IPv6]:port and off parse; anything else is refused with the option's name")
    func parsing() throws {
        #expect(try OperatorEndpoint.parse("127.0.0.1:9470", option: "--metrics-address") == OperatorEndpoint(host: "127.0.0.1", port: 9470))
        #expect(try OperatorEndpoint.parse("[::1]:0", option: "--metrics-address") == OperatorEndpoint(host: "::1", port: 0))
        #expect(try OperatorEndpoint.parse("off", option: "--metrics-address") == nil)
        for bad in ["9470", "127.0.0.1", "127.0.0.1:70000", ":9470", "host:port"] {
            #expect { try OperatorEndpoint.parse(bad, option: "--metrics-address") } throws: { error in
                "\(error)".contains("--metrics-address")
            }
        }
    }

    @Test("off loopback the endpoint needs the operator's consent")
    func loopbackRule() {
        #expect(OperatorEndpoint(host: "127.0.0.1", port: 9470).refusal(allowRemote: false, option: "--metrics-address") == nil)
        #expect(OperatorEndpoint(host: "::1", port: 9470).refusal(allowRemote: false, option: "--metrics-address") == nil)
        let refusal = OperatorEndpoint(host: "0.0.0.0", port: 9470).refusal(allowRemote: false, option: "--metrics-address")
        #expect(refusal?.contains("--allow-insecure-remote") == true)
        #expect(OperatorEndpoint(host: "0.0.0.0", port: 9470).refusal(allowRemote: true, option: "--metrics-address") == nil)
    }

    @Test("readiness renders as JSON and is ready only when every check passes")
    func readiness() {
        let ready = Readiness([.init("database", true), .init("hub", true)], counts: [("pending", 2)])
        #expect(ready.ready)
        #expect(ready.json == #"{"ready":true,"database":true,"hub":true,"pending":2}"#)
        let notReady = Readiness([.init("database", true), .init("hub\"", false)])
        #expect(!notReady.ready)
        #expect(notReady.json == #"{"ready":false,"database":true,"hub":false}"#)
    }
}
