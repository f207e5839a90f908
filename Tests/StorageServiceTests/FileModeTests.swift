import AzureStorage
import Foundation
import Testing

/// Permission bits of `path`, or nil when it does not exist.
func fileMode(_ path: String) -> Int? {
    (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? nil
}

@Suite("Storage files are private")
struct FileModeTests {
    @Test("data folder, database with its -wal and -shm, and blob files: 0700 folders, 0600 files")
    func modes() async throws {
        try await withServer { server in
            let queue = QueueClient(connectionString: server.connection, queueName: "modes")
            try await queue.create()
            try await queue.send("secret text")
            let container = BlobContainerClient(connectionString: server.connection, containerName: "modes")
            try await container.create()
            try await container.blob("b.bin").upload([1, 2, 3])
            let directory = server.directory
            #expect(fileMode(directory) == 0o700)
            #expect(fileMode(directory + "/blobs") == 0o700)
            #expect(fileMode(directory + "/blobs/.incoming") == 0o700)
            for suffix in ["", "-wal", "-shm"] {
                let path = directory + "/storage.sqlite" + suffix
                #expect(FileManager.default.fileExists(atPath: path), "\(path) should exist while the service runs")
                #expect(fileMode(path) == 0o600, "\(path)")
            }
            let blobs = try FileManager.default.contentsOfDirectory(atPath: directory + "/blobs").filter { !$0.hasPrefix(".") }
            #expect(!blobs.isEmpty)
            for name in blobs { #expect(fileMode(directory + "/blobs/" + name) == 0o600, "\(name)") }
        }
    }

    @Test("a database and folder left readable by an older version are made private at start")
    func tightensExisting() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("storage-modes-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        #expect(FileManager.default.createFile(atPath: path + "/storage.sqlite", contents: nil, attributes: [.posixPermissions: 0o644]))
        let server = try await TestServer.start(directory: path)
        #expect(fileMode(path) == 0o700)
        #expect(fileMode(path + "/storage.sqlite") == 0o600)
        try await QueueClient(connectionString: server.connection, queueName: "after").create()
        #expect(fileMode(path + "/storage.sqlite-wal") == 0o600)
        await server.stop()
    }
}
