import Foundation
import GRDB

/// A blob's row: where its bytes are and its properties.
struct StoredBlob: Sendable {
    var name: String
    var file: String
    var size: Int
    var contentType: String
    var contentEncoding: String?
    var contentLanguage: String?
    var contentDisposition: String?
    var cacheControl: String?
    var contentMD5: [UInt8]?
    var etag: String
    var createdMs: Int64
    var modifiedMs: Int64
    var metadata: [(String, String)]

    init(row: Row) {
        name = row["name"]
        file = row["file"]
        size = row["size"]
        contentType = row["content_type"]
        contentEncoding = row["content_encoding"]
        contentLanguage = row["content_language"]
        contentDisposition = row["content_disposition"]
        cacheControl = row["cache_control"]
        contentMD5 = (row["content_md5"] as Data?).map { Array($0) }
        etag = row["etag"]
        createdMs = row["created_ms"]
        modifiedMs = row["modified_ms"]
        metadata = MetadataCoding.decode(row["metadata"])
    }

    init(name: String, file: BlobFile, headers: BlobHeaders, etag: String, now: Int64) {
        self.name = name
        self.file = file.id
        size = file.size
        contentType = headers.contentType ?? "application/octet-stream"
        contentEncoding = headers.contentEncoding
        contentLanguage = headers.contentLanguage
        contentDisposition = headers.contentDisposition
        cacheControl = headers.cacheControl
        contentMD5 = headers.contentMD5 ?? file.md5
        self.etag = etag
        createdMs = now
        modifiedMs = now
        metadata = headers.metadata
    }
}

/// Properties a write sets (from `x-ms-blob-*` headers and `x-ms-meta-*`).
struct BlobHeaders: Sendable {
    var contentType: String?
    var contentEncoding: String?
    var contentLanguage: String?
    var contentDisposition: String?
    var cacheControl: String?
    var contentMD5: [UInt8]?
    var metadata: [(String, String)] = []
}

/// A container's row.
struct StoredContainer: Sendable {
    var id: Int64
    var name: String
    var etag: String
    var createdMs: Int64
    var modifiedMs: Int64
    var metadata: [(String, String)]
}

/// One listing entry.
enum ListedEntry: Sendable {
    case blob(StoredBlob)
    case prefix(String)
}

/// Container and blob operations on the database; files are handled by ``BlobFiles``.
struct BlobStore: Sendable {
    let database: StorageDatabase
    private var pool: DatabasePool { database.pool }

    static func newETag() -> String {
        let value = UInt64(nowMilliseconds()) &* 10_000 &+ UInt64.random(in: 0..<10_000)
        return "\"0x8D" + String(value, radix: 16, uppercase: true) + String(UInt16.random(in: 0...0xFFF), radix: 16, uppercase: true) + "\""
    }

    static func container(_ db: Database, account: String, name: String) throws -> StoredContainer {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM containers WHERE account = ? AND name = ?", arguments: [account, name]) else {
            throw StorageServiceError.containerNotFound()
        }
        return StoredContainer(
            id: row["id"], name: row["name"], etag: row["etag"], createdMs: row["created_ms"], modifiedMs: row["modified_ms"],
            metadata: MetadataCoding.decode(row["metadata"])
        )
    }

    func createContainer(account: String, name: String, metadata: [(String, String)]) async throws -> StoredContainer {
        let now = nowMilliseconds()
        let etag = Self.newETag()
        return try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM containers WHERE account = ? AND name = ?", arguments: [account, name]) != nil {
                throw StorageServiceError(409, .containerAlreadyExists, "The specified container already exists.")
            }
            try db.execute(
                sql: "INSERT INTO containers (account, name, metadata, etag, created_ms, modified_ms) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [account, name, MetadataCoding.encode(metadata), etag, now, now]
            )
            return StoredContainer(id: db.lastInsertedRowID, name: name, etag: etag, createdMs: now, modifiedMs: now, metadata: metadata)
        }
    }

    func container(account: String, name: String) async throws -> StoredContainer {
        try await pool.read { db in try Self.container(db, account: account, name: name) }
    }

    /// Deletes the container's rows after `condition` accepts it; returns the files to remove.
    func deleteContainer(
        account: String, name: String, condition: @escaping @Sendable (StoredContainer) throws -> Void = { _ in }
    ) async throws -> [String] {
        try await pool.write { db in
            let container = try Self.container(db, account: account, name: name)
            try condition(container)
            let files = try String.fetchAll(db, sql: "SELECT file FROM blobs WHERE container_id = ? UNION ALL SELECT file FROM blocks WHERE container_id = ?", arguments: [container.id, container.id])
            try db.execute(sql: "DELETE FROM blobs WHERE container_id = ?", arguments: [container.id])
            try db.execute(sql: "DELETE FROM blocks WHERE container_id = ?", arguments: [container.id])
            try db.execute(sql: "DELETE FROM containers WHERE id = ?", arguments: [container.id])
            return files
        }
    }

    func setContainerMetadata(
        account: String, name: String, metadata: [(String, String)], condition: @escaping @Sendable (StoredContainer) throws -> Void = { _ in }
    ) async throws -> StoredContainer {
        let now = nowMilliseconds()
        let etag = Self.newETag()
        return try await pool.write { db in
            var container = try Self.container(db, account: account, name: name)
            try condition(container)
            try db.execute(
                sql: "UPDATE containers SET metadata = ?, etag = ?, modified_ms = ? WHERE id = ?",
                arguments: [MetadataCoding.encode(metadata), etag, now, container.id]
            )
            container.metadata = metadata
            container.etag = etag
            container.modifiedMs = now
            return container
        }
    }

    func listContainers(account: String, prefix: String, marker: String, limit: Int) async throws -> ([StoredContainer], String?) {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM containers WHERE account = ? AND name >= ? AND name >= ? ORDER BY name LIMIT ?",
                arguments: [account, marker, prefix, limit + 1]
            )
            var result: [StoredContainer] = []
            for row in rows {
                let name: String = row["name"]
                guard name.hasPrefix(prefix) else { break }
                if result.count == limit { return (result, name) }
                result.append(StoredContainer(
                    id: row["id"], name: name, etag: row["etag"], createdMs: row["created_ms"], modifiedMs: row["modified_ms"],
                    metadata: MetadataCoding.decode(row["metadata"])
                ))
            }
            return (result, nil)
        }
    }

    func blob(account: String, container: String, name: String) async throws -> StoredBlob {
        try await pool.read { db in
            let container = try Self.container(db, account: account, name: container)
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM blobs WHERE container_id = ? AND name = ?", arguments: [container.id, name]) else {
                throw StorageServiceError.blobNotFound()
            }
            return StoredBlob(row: row)
        }
    }

    /// Inserts or replaces a blob after checking `condition` against the current row, in one
    /// transaction. Returns the stored blob and the file it replaced (to remove).
    func putBlob(
        account: String, container: String, blob: StoredBlob,
        condition: @escaping @Sendable (StoredBlob?) throws -> Void,
        consumingBlocks: Bool = false
    ) async throws -> (StoredBlob, [String]) {
        try await pool.write { db in
            let stored = try Self.container(db, account: account, name: container)
            let existingRow = try Row.fetchOne(db, sql: "SELECT * FROM blobs WHERE container_id = ? AND name = ?", arguments: [stored.id, blob.name])
            let existing = existingRow.map(StoredBlob.init(row:))
            try condition(existing)
            var result = blob
            if let existing { result.createdMs = existing.createdMs }
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO blobs (container_id, name, file, size, content_type, content_encoding, content_language,
                        content_disposition, cache_control, content_md5, etag, created_ms, modified_ms, metadata)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    stored.id, result.name, result.file, result.size, result.contentType, result.contentEncoding, result.contentLanguage,
                    result.contentDisposition, result.cacheControl, result.contentMD5.map { Data($0) }, result.etag,
                    result.createdMs, result.modifiedMs, MetadataCoding.encode(result.metadata),
                ]
            )
            var obsolete = existing.map { [$0.file] } ?? []
            // A committed blob drops its uncommitted blocks.
            obsolete += try String.fetchAll(db, sql: "SELECT file FROM blocks WHERE container_id = ? AND blob_name = ?", arguments: [stored.id, blob.name])
            try db.execute(sql: "DELETE FROM blocks WHERE container_id = ? AND blob_name = ?", arguments: [stored.id, blob.name])
            return (result, obsolete)
        }
    }

    /// Updates properties or metadata of an existing blob.
    func updateBlob(
        account: String, container: String, name: String,
        condition: @escaping @Sendable (StoredBlob?) throws -> Void,
        change: @escaping @Sendable (inout StoredBlob) -> Void
    ) async throws -> StoredBlob {
        let now = nowMilliseconds()
        let etag = Self.newETag()
        return try await pool.write { db in
            let stored = try Self.container(db, account: account, name: container)
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM blobs WHERE container_id = ? AND name = ?", arguments: [stored.id, name]) else {
                throw StorageServiceError.blobNotFound()
            }
            var blob = StoredBlob(row: row)
            try condition(blob)
            change(&blob)
            blob.etag = etag
            blob.modifiedMs = now
            try db.execute(
                sql: """
                    UPDATE blobs SET content_type = ?, content_encoding = ?, content_language = ?, content_disposition = ?,
                        cache_control = ?, content_md5 = ?, etag = ?, modified_ms = ?, metadata = ?
                    WHERE container_id = ? AND name = ?
                    """,
                arguments: [
                    blob.contentType, blob.contentEncoding, blob.contentLanguage, blob.contentDisposition, blob.cacheControl,
                    blob.contentMD5.map { Data($0) }, blob.etag, blob.modifiedMs, MetadataCoding.encode(blob.metadata), stored.id, name,
                ]
            )
            return blob
        }
    }

    /// Deletes a blob after checking `condition`; returns its file.
    func deleteBlob(account: String, container: String, name: String, condition: @escaping @Sendable (StoredBlob?) throws -> Void) async throws -> String {
        try await pool.write { db in
            let stored = try Self.container(db, account: account, name: container)
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM blobs WHERE container_id = ? AND name = ?", arguments: [stored.id, name]) else {
                throw StorageServiceError.blobNotFound()
            }
            let blob = StoredBlob(row: row)
            try condition(blob)
            try db.execute(sql: "DELETE FROM blobs WHERE container_id = ? AND name = ?", arguments: [stored.id, name])
            return blob.file
        }
    }

    /// Records an uncommitted block within `limits`; returns the files it replaced or that had
    /// expired (to remove).
    ///
    /// - Throws: 409 `BlockCountExceedsLimit` beyond the blocks per blob, 413
    ///   `RequestBodyTooLarge` beyond the bytes per blob or for the whole service.
    func putBlock(
        account: String, container: String, blob: String, blockId: String, file: BlobFile,
        limits: UncommittedBlockLimits, now: Int64 = nowMilliseconds()
    ) async throws -> [String] {
        try await pool.write { db in
            let stored = try Self.container(db, account: account, name: container)
            // Blocks of this blob that outlived their week are gone before anything is counted.
            var obsolete = try Self.dropExpiredBlocks(db, containerID: stored.id, blob: blob, now: now, lifetimeMs: limits.lifetimeMs)
            let row = try Row.fetchOne(
                db, sql: "SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS bytes FROM blocks WHERE container_id = ? AND blob_name = ? AND block_id != ?",
                arguments: [stored.id, blob, blockId]
            )
            let count: Int = row?["count"] ?? 0
            let bytes: Int = row?["bytes"] ?? 0
            guard count < limits.maximumBlocksPerBlob else {
                throw StorageServiceError(409, .blockCountExceedsLimit, "The uncommitted block count cannot exceed \(limits.maximumBlocksPerBlob); commit (Put Block List) or delete the blob first.")
            }
            guard bytes <= limits.maximumBytesPerBlob - file.size else {
                throw StorageServiceError(413, .requestBodyTooLarge, "The blob's uncommitted blocks would exceed \(limits.maximumBytesPerBlob) bytes, more than a committed blob may hold; commit or delete the blob first.")
            }
            let total = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM blocks WHERE NOT (container_id = ? AND blob_name = ? AND block_id = ?)", arguments: [stored.id, blob, blockId]) ?? 0
            guard total <= limits.maximumTotalBytes - file.size else {
                throw StorageServiceError(413, .requestBodyTooLarge, "The service holds \(total) bytes of uncommitted blocks, its limit is \(limits.maximumTotalBytes); commit staged blocks (Put Block List) or wait until unused ones expire.")
            }
            if let old = try String.fetchOne(
                db, sql: "SELECT file FROM blocks WHERE container_id = ? AND blob_name = ? AND block_id = ?", arguments: [stored.id, blob, blockId]
            ) {
                obsolete.append(old)
            }
            try db.execute(
                sql: "INSERT OR REPLACE INTO blocks (container_id, blob_name, block_id, file, size, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [stored.id, blob, blockId, file.id, file.size, now]
            )
            return obsolete
        }
    }

    /// Deletes the blocks of one blob whose last Put Block is older than `lifetimeMs`; returns their files.
    private static func dropExpiredBlocks(_ db: Database, containerID: Int64, blob: String, now: Int64, lifetimeMs: Int64) throws -> [String] {
        let latest = try Int64.fetchOne(db, sql: "SELECT MAX(created_ms) FROM blocks WHERE container_id = ? AND blob_name = ?", arguments: [containerID, blob])
        guard let latest, latest <= now - min(lifetimeMs, now) else { return [] }
        let files = try String.fetchAll(db, sql: "SELECT file FROM blocks WHERE container_id = ? AND blob_name = ?", arguments: [containerID, blob])
        try db.execute(sql: "DELETE FROM blocks WHERE container_id = ? AND blob_name = ?", arguments: [containerID, blob])
        return files
    }

    /// Deletes every blob's uncommitted blocks whose last Put Block is older than `lifetimeMs`
    /// (Azure drops them after a week); returns their files, to remove.
    func sweepExpiredBlocks(now: Int64 = nowMilliseconds(), lifetimeMs: Int64) async throws -> [String] {
        let cutoff = now - min(lifetimeMs, now)
        return try await pool.write { db in
            let stale = """
                SELECT container_id, blob_name FROM blocks GROUP BY container_id, blob_name HAVING MAX(created_ms) <= ?
                """
            let files = try String.fetchAll(
                db, sql: "SELECT file FROM blocks WHERE (container_id, blob_name) IN (\(stale))", arguments: [cutoff]
            )
            try db.execute(sql: "DELETE FROM blocks WHERE (container_id, blob_name) IN (\(stale))", arguments: [cutoff])
            return files
        }
    }

    /// The files of the named uncommitted blocks, in order. Throws 400 `InvalidBlockList` if one
    /// is missing, or if the blob's blocks outlived `lifetimeMs` (they are as good as swept).
    func blockFiles(
        account: String, container: String, blob: String, blockIds: [String], lifetimeMs: Int64, now: Int64 = nowMilliseconds()
    ) async throws -> [(file: String, size: Int)] {
        try await pool.read { db in
            let stored = try Self.container(db, account: account, name: container)
            let latest = try Int64.fetchOne(db, sql: "SELECT MAX(created_ms) FROM blocks WHERE container_id = ? AND blob_name = ?", arguments: [stored.id, blob])
            if let latest, latest <= now - min(lifetimeMs, now), !blockIds.isEmpty {
                throw StorageServiceError(400, .invalidBlockList, "The blob's uncommitted blocks expired (no Put Block List within \(lifetimeMs / 86_400_000) days of the last Put Block); upload them again.")
            }
            var result: [(file: String, size: Int)] = []
            for id in blockIds {
                guard let row = try Row.fetchOne(
                    db, sql: "SELECT file, size FROM blocks WHERE container_id = ? AND blob_name = ? AND block_id = ?", arguments: [stored.id, blob, id]
                ) else {
                    throw StorageServiceError(400, .invalidBlockList, "The block list names block '\(id.prefix(100))', which was not uploaded (Put Block) for this blob.")
                }
                result.append((row["file"], row["size"]))
            }
            return result
        }
    }

    /// Lists blobs in name order from `marker` (inclusive), collapsing names into prefixes at
    /// `delimiter`. The next marker is the key of the first entry not returned.
    func listBlobs(account: String, container: String, prefix: String, delimiter: String?, marker: String, limit: Int) async throws -> ([ListedEntry], String?) {
        try await pool.read { db in
            let stored = try Self.container(db, account: account, name: container)
            let start = max(marker, prefix)
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT * FROM blobs WHERE container_id = ? AND name >= ? ORDER BY name", arguments: [stored.id, start]
            )
            var entries: [ListedEntry] = []
            var lastPrefix: String?
            while let row = try cursor.next() {
                let name: String = row["name"]
                guard name.hasPrefix(prefix) else { break }
                var key = name
                var isPrefix = false
                if let delimiter, !delimiter.isEmpty,
                   let range = name.range(of: delimiter, range: name.index(name.startIndex, offsetBy: prefix.count)..<name.endIndex) {
                    key = String(name[..<range.upperBound])
                    isPrefix = true
                    if key == lastPrefix { continue }
                }
                if entries.count == limit { return (entries, key) }
                if isPrefix {
                    entries.append(.prefix(key))
                    lastPrefix = key
                } else {
                    entries.append(.blob(StoredBlob(row: row)))
                }
            }
            return (entries, nil)
        }
    }

    /// Every file any row references (for garbage collection at start-up).
    func referencedFiles() async throws -> Set<String> {
        try await pool.read { db in
            Set(try String.fetchAll(db, sql: "SELECT file FROM blobs UNION ALL SELECT file FROM blocks"))
        }
    }
}
