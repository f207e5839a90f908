import Foundation
import NIOCore
@testable import StorageService
import Testing

/// Staged blocks against a real database and real files, with time given as a value: they expire
/// a week after the blob's last Put Block (as on Azure) and are bounded per blob and in total.
@Suite("Uncommitted blocks")
struct UncommittedBlockTests {
    static let day: Int64 = 86_400_000

    private struct Store {
        let blobs: BlobStore
        let files: BlobFiles
        let directory: String

        func block(_ bytes: Int) async throws -> BlobFile {
            let body = AsyncStream<ByteBuffer> { continuation in
                continuation.yield(ByteBuffer(repeating: 7, count: bytes))
                continuation.finish()
            }
            return try await files.write(body, limit: 1 << 20)
        }
    }

    private func withStore(_ body: (Store) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("blocks-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try StorageDatabase(path: directory + "/storage.sqlite")
        defer { database.close() }
        let store = Store(blobs: BlobStore(database: database), files: try BlobFiles(directory: directory + "/blobs"), directory: directory)
        _ = try await store.blobs.createContainer(account: "a", name: "c", metadata: [])
        try await body(store)
    }

    private func status(_ operation: () async throws -> Void) async -> (Int, String)? {
        do {
            try await operation()
            return nil
        } catch let error as StorageServiceError {
            return (error.status, error.code.rawValue)
        } catch {
            return (-1, "\(error)")
        }
    }

    @Test("blocks expire 7 days after the blob's last Put Block; a later Put Block keeps them; expired ones cannot be committed")
    func expiry() async throws {
        try await withStore { store in
            let limits = UncommittedBlockLimits(maximumBytesPerBlob: 1 << 20, maximumTotalBytes: 1 << 20)
            let t0: Int64 = 1_800_000_000_000
            let first = try await store.block(10)
            _ = try await store.blobs.putBlock(account: "a", container: "c", blob: "old", blockId: "b1", file: first, limits: limits, now: t0)
            let kept = try await store.block(10)
            _ = try await store.blobs.putBlock(account: "a", container: "c", blob: "busy", blockId: "b1", file: kept, limits: limits, now: t0)
            _ = try await store.blobs.putBlock(account: "a", container: "c", blob: "busy", blockId: "b2", file: try await store.block(10), limits: limits, now: t0 + 6 * Self.day)

            #expect(try await store.blobs.sweepExpiredBlocks(now: t0 + 7 * Self.day - 1, lifetimeMs: limits.lifetimeMs).isEmpty)
            let swept = try await store.blobs.sweepExpiredBlocks(now: t0 + 7 * Self.day, lifetimeMs: limits.lifetimeMs)
            #expect(swept == [first.id], "only the blob whose last Put Block is a week old loses its blocks")
            #expect(await status { _ = try await store.blobs.blockFiles(account: "a", container: "c", blob: "old", blockIds: ["b1"], lifetimeMs: limits.lifetimeMs, now: t0 + 7 * Self.day) }?.1 == "InvalidBlockList")
            #expect(try await store.blobs.blockFiles(account: "a", container: "c", blob: "busy", blockIds: ["b1", "b2"], lifetimeMs: limits.lifetimeMs, now: t0 + 7 * Self.day).count == 2)
            // Not yet swept, but past its week: refused at commit all the same, and dropped by the next Put Block.
            #expect(await status { _ = try await store.blobs.blockFiles(account: "a", container: "c", blob: "busy", blockIds: ["b1"], lifetimeMs: limits.lifetimeMs, now: t0 + 13 * Self.day) }?.1 == "InvalidBlockList")
            let replaced = try await store.blobs.putBlock(account: "a", container: "c", blob: "busy", blockId: "b3", file: try await store.block(1), limits: limits, now: t0 + 13 * Self.day)
            #expect(replaced.contains(kept.id))
            #expect(try await store.blobs.referencedFiles().contains(kept.id) == false)
        }
    }

    @Test("bounds: blocks per blob (409), bytes per blob and bytes in total (413); replacing a block id does not count twice")
    func bounds() async throws {
        try await withStore { store in
            let limits = UncommittedBlockLimits(maximumBlocksPerBlob: 3, maximumBytesPerBlob: 10, maximumTotalBytes: 16)
            func put(_ blob: String, _ id: String, _ bytes: Int) async -> (Int, String)? {
                await status {
                    let file = try await store.block(bytes)
                    _ = try await store.blobs.putBlock(account: "a", container: "c", blob: blob, blockId: id, file: file, limits: limits)
                }
            }
            #expect(await put("x", "1", 6) == nil)
            #expect(await put("x", "2", 6)?.0 == 413, "12 bytes staged for one blob is more than it may hold")
            #expect(await put("x", "1", 9) == nil, "replacing block 1 counts its new size only")
            #expect(await put("y", "1", 8)?.0 == 413, "9 + 8 bytes is more than the service holds")
            #expect(await put("y", "1", 7) == nil)
            #expect(await put("z", "1", 0) == nil)
            #expect(await put("z", "2", 0) == nil)
            #expect(await put("z", "3", 0) == nil)
            #expect(await put("z", "4", 0).map { $0 == (409, "BlockCountExceedsLimit") } == true)
        }
    }
}
