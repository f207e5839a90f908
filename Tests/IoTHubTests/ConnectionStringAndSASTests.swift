import Foundation
@testable import IoTHub
import Testing

@Suite struct ConnectionStringTests {
    static let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

    @Test func parsesServiceDeviceAndModuleStrings() throws {
        let service = try IoTHubConnectionString("HostName=hub.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey=\(Self.key)")
        #expect(service.sharedAccessKeyName == "iothubowner")
        #expect(service.deviceId == nil)
        #expect(service.resourceURI == "hub.azure-devices.net")

        let module = try IoTHubConnectionString("HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=\(Self.key);GatewayHostName=gw")
        #expect(module.resourceURI == "h/devices/d/modules/m")
        #expect(module.gatewayHostName == "gw")
        #expect(try IoTHubConnectionString(module.stringValue) == module)
        #expect(!module.description.contains(Self.key))

        let local = try IoTHubConnectionString("HostName=localhost:8443;SharedAccessKeyName=p;SharedAccessKey=\(Self.key)")
        #expect(local.hostNameWithoutPort == "localhost")
    }

    @Test func aDeviceOrModuleStringCarriesTheMQTTPort() throws {
        let device = try IoTHubConnectionString("HostName=hub.example:18883;DeviceId=d;SharedAccessKey=\(Self.key)")
        #expect(device.port == 18883)
        #expect(device.hostNameWithoutPort == "hub.example")
        #expect(try IoTHubConnectionString(device.stringValue) == device)

        // The gateway is the host dialled, so its port wins; without one it is 8883 whatever HostName says.
        let gateway = try IoTHubConnectionString("HostName=hub.example:1;DeviceId=d;ModuleId=m;SharedAccessKey=\(Self.key);GatewayHostName=edge.local:9883")
        #expect(gateway.port == 9883)
        #expect(gateway.gatewayHostNameWithoutPort == "edge.local")
        let bareGateway = try IoTHubConnectionString("HostName=hub.example:1;DeviceId=d;SharedAccessKey=\(Self.key);GatewayHostName=edge.local")
        #expect(bareGateway.port == nil)

        let plain = try IoTHubConnectionString("HostName=hub.example;DeviceId=d;SharedAccessKey=\(Self.key)")
        #expect(plain.port == nil)
        #expect(IoTHubConnectionString.splitPort("[::1]:8883") == ("[::1]", 8883))
        #expect(IoTHubConnectionString.splitPort("::1") == ("::1", nil))
    }

    @Test(arguments: [
        "DeviceId=d;SharedAccessKey=\(key)",                            // no HostName
        "HostName=h;DeviceId=d",                                         // no key
        "HostName=h;SharedAccessKey=\(key)",                             // neither device nor policy
        "HostName=h;DeviceId=d;SharedAccessKey=not base64!",
        "HostName=h;deviceid=d;SharedAccessKey=\(key)",                  // keys are case-sensitive
        "HostName=h;DeviceId=d;DeviceId=e;SharedAccessKey=\(key)",
        "HostName=h;ModuleId=m;SharedAccessKey=\(key)",
        "HostName=h;DeviceId=d;SharedAccessSignature=SharedAccessSignature sr=x",
        "garbage",
        "HostName=h:0;DeviceId=d;SharedAccessKey=\(key)",                 // port out of range
        "HostName=h:65536;DeviceId=d;SharedAccessKey=\(key)",
        "HostName=:8883;DeviceId=d;SharedAccessKey=\(key)",               // port without host
        "HostName=h;DeviceId=d;SharedAccessKey=\(key);GatewayHostName=g:99999999999999999999",
    ])
    func rejectsBrokenStrings(_ text: String) {
        #expect(throws: IoTHubConfigurationError.self) { try IoTHubConnectionString(text) }
    }
}

@Suite struct SharedAccessSignatureTests {
    static let key = ConnectionStringTests.key
    static let expiry = Date(timeIntervalSince1970: 2_000_000_000)

    @Test func matchesTheAzureAlgorithm() throws {
        // Expected value computed independently (Python hmac/base64/urllib) for the same inputs.
        let token = try SharedAccessSignature.make(resourceURI: "myhub.azure-devices.net/devices/dev1", key: Self.key, expiresOn: Self.expiry)
        #expect(token.token == "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=WA438EU8pZ%2FnYR6sGn%2FT1MgK3p3VjXg%2BfzpXpm96NOs%3D&se=2000000000")
        let parsed = try SharedAccessSignature(parsing: token.token)
        #expect(parsed == token)
        #expect(parsed.isValid(key: Self.key, now: Self.expiry - 1))
        #expect(!parsed.isValid(key: Self.key, now: Self.expiry))   // expired at se
        #expect(!parsed.isValid(key: ConnectionStringTests.key.replacingOccurrences(of: "M", with: "N"), now: Self.expiry - 1))
    }

    @Test func acceptsThePythonServiceSDKEncoding() throws {
        // quote_plus on "host:port" in sr, '/' left raw in sig, skn last.
        let text = "SharedAccessSignature sr=localhost%3A8443&sig=DEWwPVm6iFLcyrSvIEVq8kGkHR3VkPJroSwDsEAAeKY%3D&se=2000000000&skn=iothubowner"
        let token = try SharedAccessSignature(parsing: text)
        #expect(token.keyName == "iothubowner")
        #expect(token.resourceURI == "localhost:8443")
        #expect(token.isValid(key: Self.key, now: Self.expiry - 10))
    }

    @Test func coversBySegmentPrefixOnly() throws {
        let token = try SharedAccessSignature.make(resourceURI: "Hub/devices/d", key: Self.key, expiresOn: Self.expiry)
        #expect(token.covers("hub/devices/d"))
        #expect(token.covers("hub/devices/d/modules/m"))
        #expect(!token.covers("hub/devices/dx"))
        #expect(!token.covers("hub/devices"))
    }

    @Test(arguments: ["", "SharedAccessSignature sr=a&sig=b", "SharedAccessSignature sr=a&sig=b&se=soon", "sr=a&sig=%zz&se=1", "x"])
    func rejectsMalformedTokens(_ text: String) {
        #expect(throws: IoTHubConfigurationError.self) { try SharedAccessSignature(parsing: text) }
    }
}

@Suite struct TopicTests {
    @Test func propertyBagsRoundTripWithPercentEncoding() throws {
        let message = TelemetryMessage(body: Data(), properties: ["alert level": "high/1", "b": "ü&="], contentType: "application/json", messageId: "m-1")
        let topic = IoTHubTopic.telemetry(deviceId: "d", moduleId: "m", message: message)
        #expect(topic == "devices/d/modules/m/messages/events/%24.mid=m-1&%24.ct=application%2Fjson&alert%20level=high%2F1&b=%C3%BC%26%3D")
        let bag = try #require(IoTHubTopic.decodePropertyBag(topic.dropFirst("devices/d/modules/m/messages/events/".count)))
        #expect(bag.map(\.key) == ["$.mid", "$.ct", "alert level", "b"])
        #expect(bag.map(\.value) == ["m-1", "application/json", "high/1", "ü&="])
        #expect(IoTHubTopic.decodePropertyBag("a=%zz") == nil)
        #expect(IoTHubTopic.decodePropertyBag("flag")?.first?.value == nil)
    }

    @Test func queriesOfIoTHubTopics() {
        let query = IoTHubTopic.query(of: IoTHubTopic.twinResponse(status: 204, requestId: "r 1", version: 7))
        #expect(query["rid"] == "r 1")
        #expect(query["version"] == "7")
        // Non-ASCII names and values, a pair without `=`, an empty value, a broken escape.
        let odd = IoTHubTopic.query(of: "$iothub/methods/POST/caf\u{e9}/?$rid=%C3%BC%26x&flag&n\u{e4}me=&bad=%zz&$version=2")
        #expect(odd == ["rid": "ü&x", "n\u{e4}me": "", "bad": "", "version": "2"])
        #expect(IoTHubTopic.query(of: "$iothub/twin/res/200/").isEmpty)
    }

    @Test func serviceErrorsKeepIoTHubCodes() throws {
        let body = #"{"Message":"{\"errorCode\":404103,\"trackingId\":\"t\",\"message\":\"Timed out\",\"timestampUtc\":\"x\"}","ExceptionMessage":""}"#
        let error = ServiceClient.parseError(status: 404, body: Data(body.utf8))
        #expect(error.errorCode == 404103)
        #expect(error.message == "Timed out")
        #expect(ServiceClient.parseError(status: 500, body: Data("oops".utf8)).message == "oops")
    }
}

@Suite struct EdgeEnvironmentTests {
    @Test func readsTheLocalDevelopmentVariables() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("edge-env-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let caFile = directory.appendingPathComponent("ca.pem")
        try "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".write(to: caFile, atomically: true, encoding: .utf8)
        let key = ConnectionStringTests.key
        _ = try await ModuleClient.fromEdgeEnvironment([
            "EdgeHubConnectionString": "HostName=h;GatewayHostName=localhost;DeviceId=d;ModuleId=m;SharedAccessKey=\(key)",
            "EdgeModuleCACertificateFile": caFile.path,
        ])
        await #expect(throws: IoTHubConfigurationError.self) { try await ModuleClient.fromEdgeEnvironment([:]) }
        await #expect(throws: IoTHubConfigurationError.self) {
            try await ModuleClient.fromEdgeEnvironment(["EdgeHubConnectionString": "HostName=h;DeviceId=d;SharedAccessKey=\(key)"])
        }
        await #expect(throws: IoTHubConfigurationError.self) {
            try await ModuleClient.fromEdgeEnvironment([
                "EdgeHubConnectionString": "HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=\(key)",
                "EdgeModuleCACertificateFile": directory.appendingPathComponent("missing.pem").path,
            ])
        }
    }

    static let edgeVariables = [
        "IOTEDGE_WORKLOADURI": "unix:///var/run/iotedge/workload.sock", "IOTEDGE_APIVERSION": "2019-01-30",
        "IOTEDGE_MODULEGENERATIONID": "637000000000000000", "IOTEDGE_DEVICEID": "camera-01",
        "IOTEDGE_MODULEID": "edgefactor", "IOTEDGE_IOTHUBHOSTNAME": "hub.azure-devices.net",
        "IOTEDGE_GATEWAYHOSTNAME": "edgehub", "IOTEDGE_AUTHSCHEME": "sasToken",
    ]

    @Test func readsTheIoTEdgeRuntimeVariables() throws {
        let edge = try IoTEdgeEnvironment(Self.edgeVariables)
        #expect(edge.deviceId == "camera-01" && edge.moduleId == "edgefactor")
        #expect(edge.gatewayHostName == "edgehub" && edge.iotHubHostName == "hub.azure-devices.net")
        #expect(edge.address.resourceURI == "hub.azure-devices.net/devices/camera-01/modules/edgefactor")
        let workload = try IoTEdgeWorkloadClient(environment: edge)
        #expect(workload.endpoint == .unixSocket(path: "/var/run/iotedge/workload.sock"))
        #expect(try IoTEdgeWorkloadClient.endpoint("http://127.0.0.1:15580/") == .http(base: "http://127.0.0.1:15580"))
        for bad in ["unix://relative.sock", "tcp://host:1", "http://"] {
            #expect(throws: IoTHubConfigurationError.self) { try IoTEdgeWorkloadClient.endpoint(bad) }
        }
    }

    @Test func namesEveryMissingVariableAndRefusesOtherAuthSchemes() {
        var variables = Self.edgeVariables
        variables["IOTEDGE_MODULEGENERATIONID"] = nil
        variables["IOTEDGE_GATEWAYHOSTNAME"] = ""
        do {
            _ = try IoTEdgeEnvironment(variables)
            Issue.record("an incomplete environment was accepted")
        } catch {
            #expect(error.message.contains("IOTEDGE_MODULEGENERATIONID, IOTEDGE_GATEWAYHOSTNAME not set"))
        }
        variables = Self.edgeVariables
        variables["IOTEDGE_AUTHSCHEME"] = "x509Certificate"
        #expect(throws: IoTHubConfigurationError.self) { try IoTEdgeEnvironment(variables) }
    }

    @Test func anUnreachableWorkloadSocketIsReportedAtOnce() async {
        var variables = Self.edgeVariables
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-workload-\(UUID().uuidString)/workload.sock").path
        variables["IOTEDGE_WORKLOADURI"] = "unix://\(missing)"
        do {
            _ = try await ModuleClient.fromEdgeEnvironment(variables)
            Issue.record("a missing workload socket was accepted")
        } catch let error as IoTEdgeWorkloadError {
            #expect(error.message.contains(missing))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
