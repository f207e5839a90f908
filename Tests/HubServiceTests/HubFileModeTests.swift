import Foundation
import HubService
import Testing

@Suite("Hub files are private")
struct HubFileModeTests {
    private func mode(_ url: URL) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int) ?? nil
    }

    @Test("hub.sqlite with its -wal and -shm, hub.json and the development keys: 0600 in 0700 folders")
    func modes() async throws {
        try await withHub { hub in
            _ = try await hub.addDevice("modes")
            let directory = hub.configuration.dataDirectory
            #expect(mode(directory) == 0o700)
            #expect(mode(directory.appendingPathComponent("certs")) == 0o700)
            for name in ["hub.sqlite", "hub.sqlite-wal", "hub.sqlite-shm", "hub.json", "certs/server-key.pem", "certs/ca-key.pem"] {
                let url = directory.appendingPathComponent(name)
                #expect(FileManager.default.fileExists(atPath: url.path), "\(name) should exist")
                #expect(mode(url) == 0o600, "\(name)")
            }
        }
    }
}
