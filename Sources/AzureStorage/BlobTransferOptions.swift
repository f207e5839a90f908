/// Sizes that decide how blobs are moved.
public struct BlobTransferOptions: Sendable, Hashable {
    /// Uploads up to this size (64 MiB, as the Python SDK) go in one Put Blob; larger ones are staged in blocks.
    public var singleUploadLimit: Int
    /// Size of each staged block.
    public var blockSize: Int
    /// Blocks uploaded at the same time.
    public var maximumConcurrentBlocks: Int
    /// Largest blob ``BlobClient/download()`` collects in memory; use `download(to:)` beyond.
    public var maximumInMemoryDownload: Int

    public init(
        singleUploadLimit: Int = 64 * 1024 * 1024, blockSize: Int = 8 * 1024 * 1024,
        maximumConcurrentBlocks: Int = 4, maximumInMemoryDownload: Int = 256 * 1024 * 1024
    ) {
        self.singleUploadLimit = max(1, singleUploadLimit)
        self.blockSize = max(1, blockSize)
        self.maximumConcurrentBlocks = max(1, maximumConcurrentBlocks)
        self.maximumInMemoryDownload = max(0, maximumInMemoryDownload)
    }

    public static let `default` = BlobTransferOptions()
}
