import Foundation
import IoTHub
import Testing

@testable import EdgeModule

/// deploy/iotedge/deployment.template.json against the module: it must name every desired property
/// the module applies, each with a value the module accepts.
@Suite struct DeploymentManifestTests {
    static let manifest = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy/iotedge/deployment.template.json")

    @Test func theManifestSetsEveryDesiredPropertyTheModuleApplies() throws {
        let text = try String(contentsOf: Self.manifest, encoding: .utf8)
            // The deployment tools substitute ${…} from the environment; use a valid device id.
            .replacingOccurrences(of: "${EDGEFACTOR_DEVICE_ID}", with: "camera-01")
        let document = try #require(JSONValue.object(from: Data(text.utf8)))
        let desired = try #require(document["modulesContent"]?["edgefactor"]?["properties.desired"]?.objectValue)

        // Every setting the module reports is one it applies from the twin.
        let known = Set(try #require(ModuleSettings().reportedSnapshot["settings"]?.objectValue).keys)
        #expect(Set(desired.keys) == known)

        var settings = ModuleSettings()
        let acks = settings.apply(desired: desired)
        #expect(Set(acks.map(\.key)) == known)
        #expect(acks.filter { !$0.accepted }.map(\.key) == [])
    }
}
