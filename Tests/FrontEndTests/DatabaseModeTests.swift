import Foundation
@testable import FrontEnd
import Testing

@Suite("Front-end database is private")
struct DatabaseModeTests {
    private func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? nil
    }

    @Test("frontend.sqlite and its -wal and -shm are 0600 in a new 0700 folder")
    func modes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ef-modes-\(UUID().uuidString)/frontend")
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let path = directory.appendingPathComponent("frontend.sqlite").path
        let database = try FrontEndDatabase(path: path)
        let throttle = AccountThrottle(database: database, policy: ThrottlePolicy())
        try await throttle.recordFailure("someone")
        #expect(mode(directory.path) == 0o700)
        #expect(mode(directory.deletingLastPathComponent().path) == 0o700)
        for suffix in ["", "-wal", "-shm"] {
            #expect(FileManager.default.fileExists(atPath: path + suffix), "\(suffix) should exist")
            #expect(mode(path + suffix) == 0o600, "frontend.sqlite\(suffix)")
        }
    }
}
