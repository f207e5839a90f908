import Foundation
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
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let content = try #require(document["modulesContent"] as? [String: Any])
        let desired = try #require((content["edgefactor"] as? [String: Any])?["properties.desired"] as? [String: Any])

        // Every setting the module reports is one it applies from the twin.
        let snapshot = try #require(try JSONSerialization.jsonObject(with: ModuleSettings().reportedSnapshot) as? [String: Any])
        let known = Set(try #require(snapshot["settings"] as? [String: Any]).keys)
        #expect(Set(desired.keys) == known)

        var settings = ModuleSettings()
        let acks = settings.apply(desired: desired)
        #expect(Set(acks.map(\.key)) == known)
        #expect(acks.filter { !$0.accepted }.map(\.key) == [])
    }
}
