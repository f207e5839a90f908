/// How many staged (uncommitted) blocks the service keeps, and for how long.
///
/// Azure keeps at most 100,000 uncommitted blocks per blob and drops them a week after the
/// blob's last Put Block if no Put Block List commits them. The byte bounds stop a holder of a
/// write SAS from filling the disk with blocks that are never committed.
struct UncommittedBlockLimits: Sendable {
    /// Blocks per blob (Azure: 100,000).
    var maximumBlocksPerBlob = 100_000
    /// Bytes staged for one blob: more could never be committed than the largest blob.
    var maximumBytesPerBlob: Int
    /// Bytes staged across the whole service.
    var maximumTotalBytes: Int
    /// Milliseconds after a blob's last Put Block that its uncommitted blocks are dropped (Azure: 7 days).
    var lifetimeMs: Int64

    init(maximumBlocksPerBlob: Int = 100_000, maximumBytesPerBlob: Int, maximumTotalBytes: Int, lifetimeMs: Int64 = 7 * 86_400_000) {
        self.maximumBlocksPerBlob = maximumBlocksPerBlob
        self.maximumBytesPerBlob = maximumBytesPerBlob
        self.maximumTotalBytes = maximumTotalBytes
        self.lifetimeMs = lifetimeMs
    }

    init(configuration: StorageServerConfiguration) {
        maximumBytesPerBlob = configuration.maximumBlobSize
        maximumTotalBytes = configuration.maximumUncommittedBytes
        let seconds = configuration.uncommittedBlockLifetime.components.seconds
        lifetimeMs = seconds > Int64.max / 1000 ? Int64.max : max(1, seconds) * 1000
    }
}
