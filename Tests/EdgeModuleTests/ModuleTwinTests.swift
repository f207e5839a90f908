import Foundation
import IoTHub
import Testing
import Verification

/// The module applies the twin's desired properties and acknowledges each in the reported ones,
/// on the built-in hub.
@Suite struct ModuleTwinTests {
    @Test func desiredPropertiesAreAppliedAndReported() async throws {
        try await ModuleHarness.run(name: "twin") { rig in
            // A desired property set before the module starts is applied when it connects.
            try await rig.desire(#"{"defaultThreshold":85}"#)
            rig.start(secret: .generate())

            try await rig.poll { try await rig.reported()["defaultThreshold"]?["ac"] == .int(200) }
            let first = try await rig.reported()
            #expect(first["defaultThreshold"]?["value"] == .double(85) || first["defaultThreshold"]?["value"] == .int(85))
            #expect(first["settings"]?["requestsQueue"] == .string(DeviceStorageNames(deviceId: "dev1").requestsQueue))

            // A patch while connected: one valid value, one refused with the reason.
            try await rig.desire(#"{"requestLifetimeSeconds":30,"requestsQueue":"Bad_Name"}"#)
            try await rig.poll { try await rig.reported()["requestsQueue"]?["ac"] == .int(400) }
            let twin = try await rig.reported()
            #expect(twin["requestLifetimeSeconds"]?["ac"] == .int(200))
            if case .string(let why) = twin["requestsQueue"]?["ad"] { #expect(why.contains("lowercase")) } else { Issue.record("no reason reported") }
            if case .int(let version) = twin["requestsQueue"]?["av"] { #expect(version >= 2) } else { Issue.record("no desired version reported") }
        }
    }
}
